package dev.infopro.dl4j.optim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import lombok.Value;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Immutable training hyper-parameters of one InfoPro run (docs/method.md §3): PyTorch SGD with momentum, Nesterov and
 * coupled weight decay on every parameter, a per-epoch cosine schedule with warm-up, batch sizes and epochs.
 *
 * <p>Presets reproduce the paper ({@link #paperCifar10()}, {@link #paperSvhn()}, {@link #paperStl10()}, or
 * {@link #byName}); the {@code with*} methods return modified copies for shorter or smaller runs.
 *
 * <p><b>Warm-up for short runs.</b> {@link #getWarmupEpochs()} is the nominal warm-up (10 in the paper). The
 * schedule built by {@link #updater()} uses {@link #effectiveWarmupEpochs()} =
 * {@code min(warmupEpochs, epochs / 16)} (integer division): the warm-up never takes more than the paper's share
 * of training (10 of 160 epochs). At 160 epochs or more this is the paper's 10; 20 epochs warm up for 1 epoch;
 * fewer than 16 epochs run the plain cosine.
 */
@Value
public class TrainingRecipe {

    /** Epochs per warm-up epoch in the paper (160 / 10): caps the warm-up of shorter runs. */
    public static final int EPOCHS_PER_WARMUP_EPOCH = 16;

    /** Preset or user name of the recipe, e.g. {@code paper-cifar10}. */
    String name;
    /** Dataset the recipe is meant for: {@code cifar10}, {@code svhn} or {@code stl10}. */
    String dataset;
    /** Base learning rate lr0 of the cosine schedule. */
    double lr0;
    /** SGD momentum. */
    double momentum;
    /** PyTorch's Nesterov form. */
    boolean nesterov;
    /** Coupled weight decay, added as {@code wd * p} to every parameter's gradient before the updater. */
    double weightDecay;
    /** Training mini-batch size; the last partial batch is not dropped. */
    int batchSize;
    /** Evaluation batch size (the same as training in the paper). */
    int testBatchSize;
    /** Number of epochs E. */
    int epochs;
    /** Nominal warm-up epochs (the paper's 10); see {@link #effectiveWarmupEpochs()}. */
    int warmupEpochs;
    /** Learning rate of the first warm-up epoch (the paper's 0.01). */
    double warmupStartLr;

    /** Full constructor; validates every value. */
    @JsonCreator
    public TrainingRecipe(@JsonProperty("name") String name,
                          @JsonProperty("dataset") String dataset,
                          @JsonProperty("lr0") double lr0,
                          @JsonProperty("momentum") double momentum,
                          @JsonProperty("nesterov") boolean nesterov,
                          @JsonProperty("weightDecay") double weightDecay,
                          @JsonProperty("batchSize") int batchSize,
                          @JsonProperty("testBatchSize") int testBatchSize,
                          @JsonProperty("epochs") int epochs,
                          @JsonProperty("warmupEpochs") int warmupEpochs,
                          @JsonProperty("warmupStartLr") double warmupStartLr) {
        require(name != null && !name.isEmpty(), "name must be non-empty");
        require(dataset != null && !dataset.isEmpty(), "dataset must be non-empty");
        require(lr0 >= 0 && !Double.isInfinite(lr0), "lr0 must be finite and >= 0");
        require(momentum >= 0 && momentum < 1, "momentum must be in [0, 1)");
        require(!nesterov || momentum > 0, "Nesterov requires momentum > 0");
        require(weightDecay >= 0 && !Double.isInfinite(weightDecay), "weightDecay must be finite and >= 0");
        require(batchSize >= 1 && testBatchSize >= 1, "batch sizes must be >= 1");
        require(epochs >= 1, "epochs must be >= 1");
        require(warmupEpochs >= 0, "warmupEpochs must be >= 0");
        require(warmupStartLr >= 0 && !Double.isInfinite(warmupStartLr), "warmupStartLr must be finite and >= 0");
        this.name = name;
        this.dataset = dataset;
        this.lr0 = lr0;
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.batchSize = batchSize;
        this.testBatchSize = testBatchSize;
        this.epochs = epochs;
        this.warmupEpochs = warmupEpochs;
        this.warmupStartLr = warmupStartLr;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static TrainingRecipe paper(String dataset, int batch, double lr0) {
        return new TrainingRecipe("paper-" + dataset, dataset, lr0, 0.9, true, 1e-4, batch, batch, 160, 10,
                CosineWarmupSchedule.PAPER_WARMUP_START_LR);
    }

    /** CIFAR-10: batch 1024, lr0 0.8, 160 epochs, 10 warm-up epochs, Nesterov 0.9, weight decay 1e-4. */
    public static TrainingRecipe paperCifar10() {
        return paper("cifar10", 1024, 0.8);
    }

    /** SVHN (train split only): batch 1024, lr0 0.8, 160 epochs, 10 warm-up epochs. */
    public static TrainingRecipe paperSvhn() {
        return paper("svhn", 1024, 0.8);
    }

    /** STL-10 (5k labelled train images): batch 128, lr0 0.1, 160 epochs, 10 warm-up epochs. */
    public static TrainingRecipe paperStl10() {
        return paper("stl10", 128, 0.1);
    }

    private static Map<String, Supplier<TrainingRecipe>> presets() {
        Map<String, Supplier<TrainingRecipe>> m = new LinkedHashMap<>();
        m.put("paper-cifar10", TrainingRecipe::paperCifar10);
        m.put("paper-svhn", TrainingRecipe::paperSvhn);
        m.put("paper-stl10", TrainingRecipe::paperStl10);
        return m;
    }

    /**
     * @param name one of {@code paper-cifar10}, {@code paper-svhn}, {@code paper-stl10}
     * @return the preset
     * @throws IllegalArgumentException naming the known presets when {@code name} is unknown
     */
    public static TrainingRecipe byName(String name) {
        Map<String, Supplier<TrainingRecipe>> p = presets();
        Supplier<TrainingRecipe> s = p.get(name);
        if (s == null) {
            throw new IllegalArgumentException("Unknown training recipe '" + name + "'; known recipes: "
                    + String.join(", ", p.keySet()));
        }
        return s.get();
    }

    /** Copy with another number of epochs (the effective warm-up follows, see the class comment). */
    public TrainingRecipe withEpochs(int newEpochs) {
        return new TrainingRecipe(name, dataset, lr0, momentum, nesterov, weightDecay, batchSize, testBatchSize,
                newEpochs, warmupEpochs, warmupStartLr);
    }

    /** Copy with another training and test batch size (the paper uses one size for both). */
    public TrainingRecipe withBatchSize(int newBatchSize) {
        return new TrainingRecipe(name, dataset, lr0, momentum, nesterov, weightDecay, newBatchSize, newBatchSize,
                epochs, warmupEpochs, warmupStartLr);
    }

    /** Copy with another base learning rate lr0. */
    public TrainingRecipe withLr(double newLr0) {
        return new TrainingRecipe(name, dataset, newLr0, momentum, nesterov, weightDecay, batchSize, testBatchSize,
                epochs, warmupEpochs, warmupStartLr);
    }

    /** Copy with another nominal warm-up length. */
    public TrainingRecipe withWarmupEpochs(int newWarmupEpochs) {
        return new TrainingRecipe(name, dataset, lr0, momentum, nesterov, weightDecay, batchSize, testBatchSize,
                epochs, newWarmupEpochs, warmupStartLr);
    }

    /** Copy with another weight decay. */
    public TrainingRecipe withWeightDecay(double newWeightDecay) {
        return new TrainingRecipe(name, dataset, lr0, momentum, nesterov, newWeightDecay, batchSize, testBatchSize,
                epochs, warmupEpochs, warmupStartLr);
    }

    /** Warm-up epochs actually scheduled: {@code min(warmupEpochs, epochs / 16)}. */
    public int effectiveWarmupEpochs() {
        return Math.min(warmupEpochs, epochs / EPOCHS_PER_WARMUP_EPOCH);
    }

    /** The per-epoch learning-rate schedule of this recipe. */
    public CosineWarmupSchedule schedule() {
        return new CosineWarmupSchedule(lr0, epochs, effectiveWarmupEpochs(), warmupStartLr);
    }

    /**
     * The DL4J updater of this recipe: {@link TorchSgd} driven by {@link #schedule()}. Weight decay is not inside
     * it; apply {@link CoupledWeightDecay} with {@link #getWeightDecay()} to the gradients first.
     */
    public IUpdater updater() {
        return TorchSgd.builder().learningRateSchedule(schedule()).momentum(momentum).nesterov(nesterov).build();
    }

    /** This recipe as JSON (DL4J's shaded Jackson). */
    public String toJson() {
        try {
            return new ObjectMapper().writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a recipe written by {@link #toJson()}. */
    public static TrainingRecipe fromJson(String json) {
        try {
            return new ObjectMapper().readValue(json, TrainingRecipe.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
