package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.backend.OneDnnHelpers;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.io.AtomicFiles;
import dev.infopro.dl4j.planning.GraphSplitter;
import dev.infopro.dl4j.planning.ModuleSpec;
import dev.infopro.dl4j.planning.TrainingPlan;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Writes and reads a {@link LocalModuleGraph} as one zip: {@code local-config.json} (the
 * {@link LocalTrainingConfig}, policies included), {@code network-configuration.json}, {@code state.json} (counters
 * and module specifications), {@code module-K.zip} per module (DL4J's {@link ModelSerializer} format with updater
 * state) and, for a model built from a MultiLayerNetwork, {@code multi-layer-configuration.json} (its
 * configuration, for {@link LocalModuleGraph#toMultiLayerNetwork()}). Everything is JSON or DL4J's own format;
 * nothing is read with Java deserialisation.
 */
public final class LocalModelSerializer {
    private static final String ENTRY_CONFIG = "local-config.json";
    private static final String ENTRY_NETWORK = "network-configuration.json";
    private static final String ENTRY_STATE = "state.json";
    private static final String ENTRY_MODULE = "module-%d.zip";
    private static final String ENTRY_MULTI_LAYER = "multi-layer-configuration.json";

    private LocalModelSerializer() {
    }

    /**
     * Writes everything needed to continue training exactly into {@code file}, atomically ({@link AtomicFiles}): a
     * crash leaves the previous file or the complete new one.
     */
    public static void write(LocalModuleGraph model, File file) throws IOException {
        AtomicFiles.write(file.toPath(), out -> write(model, out));
    }

    /**
     * Writes the same zip as {@link #write(LocalModuleGraph, File)} to a stream (not atomic; the stream is not
     * closed). Used to embed a model in a larger file such as a checkpoint.
     */
    public static void write(LocalModuleGraph model, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        putEntry(zip, ENTRY_CONFIG, model.getConfig().toJson().getBytes(StandardCharsets.UTF_8));
        putEntry(zip, ENTRY_NETWORK, model.getPlan().getNetworkConfigurationJson().getBytes(StandardCharsets.UTF_8));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("iteration", model.getIterationCount());
        state.put("epoch", model.getEpochCount());
        state.put("modules", model.getModuleSpecs());
        putEntry(zip, ENTRY_STATE, LocalTrainingConfig.mapper().writeValueAsBytes(state));
        if (model.getMultiLayerOrigin() != null) {
            putEntry(zip, ENTRY_MULTI_LAYER, model.getMultiLayerOrigin().getBytes(StandardCharsets.UTF_8));
        }
        List<ComputationGraph> modules = model.getModules();
        for (int k = 0; k < modules.size(); k++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ModelSerializer.writeModel(modules.get(k), bytes, true);
            putEntry(zip, String.format(ENTRY_MODULE, k), bytes.toByteArray());
        }
        zip.finish();
        zip.flush();
    }

    private static void putEntry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * Reads a file written by {@link #write(LocalModuleGraph, File)}. Listeners are not saved.
     *
     * @throws IllegalArgumentException when the file is not a saved LocalModuleGraph
     */
    public static LocalModuleGraph read(File file) throws IOException {
        try (InputStream is = Files.newInputStream(file.toPath())) {
            return read(is, file.toString());
        }
    }

    /**
     * Reads a model written by {@link #write(LocalModuleGraph, OutputStream)}; {@code source} names the data in
     * error messages.
     *
     * @throws IllegalArgumentException when the data is not a saved LocalModuleGraph
     */
    public static LocalModuleGraph read(InputStream in, String source) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        ZipInputStream zip = new ZipInputStream(in);
        ZipEntry e;
        while ((e = zip.getNextEntry()) != null) {
            entries.put(e.getName(), zip.readAllBytes());
        }
        for (String required : new String[]{ENTRY_CONFIG, ENTRY_NETWORK, ENTRY_STATE}) {
            if (!entries.containsKey(required)) {
                throw new IllegalArgumentException(source + " is not a saved LocalModuleGraph: entry '" + required
                        + "' is missing");
            }
        }
        LocalTrainingConfig config = LocalTrainingConfig.fromJson(
                new String(entries.get(ENTRY_CONFIG), StandardCharsets.UTF_8));
        ComputationGraphConfiguration networkConf = ComputationGraphConfiguration.fromJson(
                new String(entries.get(ENTRY_NETWORK), StandardCharsets.UTF_8));
        SavedState state = LocalTrainingConfig.mapper().readValue(entries.get(ENTRY_STATE), SavedState.class);
        List<ComputationGraph> modules = new ArrayList<>();
        List<GraphSplitter.ModuleConfiguration> parts = new ArrayList<>();
        for (int k = 0; k < state.modules.size(); k++) {
            byte[] bytes = entries.get(String.format(ENTRY_MODULE, k));
            if (bytes == null) {
                throw new IllegalArgumentException(source + " is incomplete: module " + k + " is missing");
            }
            ComputationGraph g = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), true);
            modules.add(OneDnnHelpers.patchForTraining(g));
            parts.add(new GraphSplitter.ModuleConfiguration(state.modules.get(k), g.getConfiguration(), Set.of()));
        }
        TrainingPlan plan = TrainingPlan.of(config, networkConf, parts);
        LocalModuleGraph model = new LocalModuleGraph(plan, modules, state.iteration, state.epoch);
        byte[] origin = entries.get(ENTRY_MULTI_LAYER);
        model.setMultiLayerOrigin(origin == null ? null : new String(origin, StandardCharsets.UTF_8));
        return model;
    }

    /** JSON form of the counters and module specifications. */
    private static final class SavedState {
        int iteration;
        int epoch;
        List<ModuleSpec> modules;
    }
}
