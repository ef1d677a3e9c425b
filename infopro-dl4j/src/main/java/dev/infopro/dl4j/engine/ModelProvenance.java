package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.io.AtomicFiles;
import dev.infopro.dl4j.planning.ModuleSpec;
import lombok.AccessLevel;
import lombok.AllArgsConstructor;
import lombok.NoArgsConstructor;
import lombok.Value;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * How an exported network was trained: method, K, cuts, the (lambda1, lambda2) of each local module, updater and
 * counters. {@link #writeModel} writes the plain network with DL4J's {@link ModelSerializer} (so
 * {@code ModelSerializer.restoreMultiLayerNetwork / restoreComputationGraph} read it as usual) plus this record as
 * a small plain-JSON zip entry, {@value #ENTRY}; {@link #read} reads it back. Java serialisation is never used
 * (DL4J's {@code ModelSerializer.addObjectToFile} would use it).
 */
@Value
@AllArgsConstructor(access = AccessLevel.PRIVATE)
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public class ModelProvenance {
    /** The zip entry holding the provenance. */
    public static final String ENTRY = "infopro-provenance.json";

    /** The method ({@code LocalLearning.Kind}: END_TO_END, GREEDY, INFOPRO_SOFTMAX, INFOPRO_CONTRAST). */
    String method;
    /** K, the number of modules. */
    int k;
    /** The cut vertices. */
    List<String> cuts;
    /** {lambda1, lambda2} of each local module (K-1 pairs; lambda1 is 0 for greedy). */
    List<double[]> lambdas;
    /** The updater given to local training, or "the network's own" when the network's updaters were kept. */
    String updater;
    /** Epochs completed. */
    int epochs;
    /** Mini-batches trained. */
    int iterations;
    /** What the exported network is: MultiLayerNetwork or ComputationGraph. */
    String network;

    /** The provenance of a trained model. */
    public static ModelProvenance of(LocalModuleGraph model) {
        LocalTrainingConfig c = model.getConfig();
        List<double[]> lambdas = new ArrayList<>();
        for (ModuleSpec s : model.getModuleSpecs()) {
            if (!s.isLast()) {
                lambdas.add(s.getLambdas().clone());
            }
        }
        return new ModelProvenance(c.getMethod().getKind().name(), model.numModules(), List.copyOf(c.getCuts()),
                lambdas, c.getUpdater() == null ? "the network's own" : c.getUpdater().toString(),
                model.getEpochCount(), model.getIterationCount(),
                model.isFromMultiLayerNetwork() ? "MultiLayerNetwork" : "ComputationGraph");
    }

    /**
     * Writes the model as what it came in as ({@link LocalModuleGraph#toMultiLayerNetwork()} for a model built from
     * a MultiLayerNetwork, else {@link LocalModuleGraph#toComputationGraph()}), without updater state, with its
     * provenance, atomically.
     */
    public static void writeModel(LocalModuleGraph model, File file) throws IOException {
        Model net = model.isFromMultiLayerNetwork() ? model.toMultiLayerNetwork() : model.toComputationGraph();
        byte[] provenance = LocalTrainingConfig.mapper().writeValueAsBytes(of(model));
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, plain, false);
        AtomicFiles.write(file.toPath(), out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(plain.toByteArray()))) {
                ZipEntry e;
                while ((e = in.getNextEntry()) != null) {
                    zip.putNextEntry(new ZipEntry(e.getName()));
                    in.transferTo(zip);
                    zip.closeEntry();
                }
            }
            zip.putNextEntry(new ZipEntry(ENTRY));
            zip.write(provenance);
            zip.closeEntry();
            zip.finish();
            zip.flush();
        });
    }

    /**
     * Reads the provenance of a model written by {@link #writeModel}.
     *
     * @throws IllegalArgumentException when the file has no provenance entry (not written by this library)
     */
    public static ModelProvenance read(File file) throws IOException {
        try (InputStream is = Files.newInputStream(file.toPath()); ZipInputStream zip = new ZipInputStream(is)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (ENTRY.equals(e.getName())) {
                    return LocalTrainingConfig.mapper().readValue(zip.readAllBytes(), ModelProvenance.class);
                }
            }
        }
        throw new IllegalArgumentException(file + " has no " + ENTRY + ": it was not written by"
                + " ModelProvenance.writeModel");
    }
}
