package dev.infopro.dl4j.config;

import dev.infopro.dl4j.data.Normalization;
import lombok.AccessLevel;
import lombok.AllArgsConstructor;
import lombok.Builder;
import lombok.NoArgsConstructor;
import lombok.Value;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.PropertyAccessor;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

import java.io.Serializable;
import java.util.List;

/**
 * Every setting that changes local training, besides the network itself: the resolved cut vertices, the method
 * and its heads, the lambda schedule, the input normalisation, the updater, the coupled weight decay, and the
 * policies for non-finite losses and for native memory. It is saved with the model, so a loaded model trains on
 * exactly as before. Immutable; {@link #toJson()} / {@link #fromJson(String)} round-trip it, and the builder
 * validates every value in one place.
 */
@Value
@Builder(toBuilder = true)
@AllArgsConstructor(access = AccessLevel.PRIVATE)
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public class LocalTrainingConfig implements Serializable {

    /** Cut vertices in topological order (K-1 of them; empty for end-to-end). */
    List<String> cuts;
    /** The training method and its heads. */
    LocalLearning method;
    /** Lambdas of the local modules (null for end-to-end and greedy). */
    LambdaSchedule lambdas;
    /** Normalisation of the network input, to rebuild the reconstruction target. */
    Normalization normalization;
    /** Updater applied to every layer, or null to keep the network's own per-layer updaters. */
    IUpdater updater;
    /** Coupled L2 weight decay on every trainable parameter (added to the mean gradient before the updater). */
    double weightDecay;
    /** The network's input types. */
    InputType[] inputTypes;
    /** Number of classes (size of the one-hot labels). */
    int numClasses;
    /** What a NaN or infinite loss or gradient does; {@link OnNonFinite#STOP} when not set. */
    OnNonFinite onNonFinite;
    /**
     * Whether freed native memory is handed back to the operating system after each module (see
     * {@code LocalModuleGraph#setReleaseNativeMemory}); true when not set (files saved before it existed).
     */
    Boolean releaseNativeMemory;
    /**
     * 0 (or not set) for sequential execution; otherwise modules run concurrently, each on its own thread, with
     * queues of this many batches between them (see {@code engine.PipelinedExecutor}). Results are the same.
     */
    Integer pipelineDepth;

    /** Whether modules run concurrently (a pipeline depth of at least 1). */
    public boolean isPipelined() {
        return pipelineDepth != null && pipelineDepth > 0;
    }

    /** The pipeline's queue depth, 0 for sequential execution. */
    public int getPipelineDepth() {
        return pipelineDepth == null ? 0 : pipelineDepth;
    }

    /** The non-finite policy, {@link OnNonFinite#STOP} by default. */
    public OnNonFinite getOnNonFinite() {
        return onNonFinite == null ? OnNonFinite.STOP : onNonFinite;
    }

    /** Whether freed native memory is handed back to the OS after each module; true by default. */
    public boolean isReleaseNativeMemory() {
        return releaseNativeMemory == null || releaseNativeMemory;
    }

    /** Builder whose {@link #build()} checks every value. */
    public static class LocalTrainingConfigBuilder {
        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException for a negative or non-finite weight decay or a missing policy
         */
        public LocalTrainingConfig build() {
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
            }
            if (pipelineDepth != null && pipelineDepth < 0) {
                throw new IllegalArgumentException("pipelineDepth must be >= 0 (0: sequential; 1 or 2 is usually"
                        + " enough to keep every module busy), got " + pipelineDepth);
            }
            return new LocalTrainingConfig(cuts, method, lambdas, normalization, updater, weightDecay, inputTypes,
                    numClasses, onNonFinite == null ? OnNonFinite.STOP : onNonFinite,
                    releaseNativeMemory == null || releaseNativeMemory, pipelineDepth == null ? 0 : pipelineDepth);
        }

        /**
         * What to do on a NaN or infinite loss or gradient.
         *
         * @throws IllegalArgumentException when {@code policy} is null
         */
        public LocalTrainingConfigBuilder onNonFinite(OnNonFinite policy) {
            if (policy == null) {
                throw new IllegalArgumentException("onNonFinite must not be null: use OnNonFinite.STOP or SKIP_BATCH");
            }
            this.onNonFinite = policy;
            return this;
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** The mapper used for the plugin's own JSON (field-based, polymorphic types via their annotations). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** This configuration as JSON. */
    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write the local training configuration as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a configuration written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException when the JSON cannot be read
     */
    public static LocalTrainingConfig fromJson(String json) {
        try {
            return MAPPER.readValue(json, LocalTrainingConfig.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Not a valid local training configuration JSON: " + e.getMessage(), e);
        }
    }
}
