package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.io.AtomicFiles;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Saves and restores the training state of a {@link SameDiffLocalModel}: every module's parameters, running
 * statistics and updater state ({@code .npy} entries) and the counters, cuts and unit names ({@code state.json}),
 * in one zip written atomically ({@link AtomicFiles}). The network itself is code, so it is not saved: restore
 * into a model built with the same builder settings, which then continues exactly (same weights, momentum buffers
 * and counters). The plain trained network in SameDiff's own format is {@link SameDiffLocalModel#toSameDiff()}.
 */
final class SameDiffModelState {
    private static final String STATE = "state.json";
    private static final String ARRAYS = "arrays/";
    private static final String UPDATER = "updater/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SameDiffModelState() {
    }

    static void save(SameDiffLocalModel model, Path file) throws IOException {
        AtomicFiles.write(file, out -> write(model, out));
    }

    static void write(SameDiffLocalModel model, OutputStream out) throws IOException {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("iteration", model.getIteration());
        s.put("epoch", model.getEpoch());
        s.put("cuts", model.getCuts());
        s.put("units", model.getNetwork().getUnitNames());
        ZipOutputStream zip = new ZipOutputStream(out);
        put(zip, STATE, JSON.writeValueAsBytes(s));
        for (Map.Entry<String, INDArray> e : new TreeMap<>(model.stateArrays()).entrySet()) {
            put(zip, ARRAYS + e.getKey() + ".npy", Nd4j.toNpyByteArray(e.getValue()));
        }
        for (SameDiffModuleTrainer t : model.getTrainers()) {
            for (Map.Entry<String, INDArray> e : t.getUpdaterStates().entrySet()) {
                put(zip, UPDATER + e.getKey() + ".npy", Nd4j.toNpyByteArray(e.getValue()));
            }
        }
        zip.finish();
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    static void restore(SameDiffLocalModel model, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            restore(model, in, file.toString());
        }
    }

    /** Reads a state written by {@link #write} from {@code in} (not closed); {@code source} names it in errors. */
    static void restore(SameDiffLocalModel model, InputStream in, String source) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        // Not closed here: closing the zip stream would close the caller's stream.
        ZipInputStream zip = new ZipInputStream(in);
        for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            zip.transferTo(b);
            entries.put(e.getName(), b.toByteArray());
        }
        byte[] stateBytes = entries.get(STATE);
        if (stateBytes == null) {
            throw new IllegalArgumentException(source + " is not a saved SameDiffLocalModel (no " + STATE + ")");
        }
        JsonNode s = JSON.readTree(stateBytes);
        List<String> cuts = strings(s.get("cuts"));
        List<String> units = strings(s.get("units"));
        if (!cuts.equals(model.getCuts()) || !units.equals(model.getNetwork().getUnitNames())) {
            throw new IllegalArgumentException("Saved model has cuts " + cuts + " over units " + units + "; this model "
                    + "has cuts " + model.getCuts() + " over units " + model.getNetwork().getUnitNames()
                    + ": build it with the same network and cuts");
        }
        // Read and check every array before assigning any, so a bad file leaves the model untouched.
        // Identity keys: INDArray equality is by value, and many arrays start equal.
        Map<INDArray, INDArray> assignments = new IdentityHashMap<>();
        collect(entries, ARRAYS, model.stateArrays(), assignments);
        Map<String, INDArray> updaterStates = new HashMap<>();
        for (SameDiffModuleTrainer t : model.getTrainers()) {
            updaterStates.putAll(t.getUpdaterStates());
        }
        collect(entries, UPDATER, updaterStates, assignments);
        assignments.forEach(INDArray::assign);
        model.setCounters(s.get("iteration").asInt(), s.get("epoch").asInt());
    }

    private static void collect(Map<String, byte[]> entries, String dir, Map<String, INDArray> targets,
                                Map<INDArray, INDArray> out) {
        for (Map.Entry<String, INDArray> t : targets.entrySet()) {
            byte[] b = entries.get(dir + t.getKey() + ".npy");
            if (b == null) {
                throw new IllegalArgumentException("Saved model has no " + dir + t.getKey());
            }
            INDArray a = Nd4j.createNpyFromByteArray(b);
            if (!java.util.Arrays.equals(a.shape(), t.getValue().shape())) {
                throw new IllegalArgumentException("Saved " + dir + t.getKey() + " has shape "
                        + java.util.Arrays.toString(a.shape()) + ", the model " + java.util.Arrays.toString(
                        t.getValue().shape()));
            }
            out.put(t.getValue(), a);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }
}
