package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.engine.CheckpointableModel;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.io.AtomicFiles;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Writes and reads crash-safe training checkpoints in one directory.
 *
 * <p><b>Writing</b> ({@link #save}): the checkpoint is written with {@link AtomicFiles} (a hidden temporary file in
 * the same directory, flushed and fsynced, atomically renamed to {@code checkpoint-eEEEE-iIIIIII.zip} (epochs
 * completed, iterations trained), and the directory fsynced where the OS allows it). A crash at any
 * moment leaves either the complete new file or none; a leftover temporary file is ignored by readers and deleted
 * by the next {@link #save}. Afterwards only the newest {@code keepLast} checkpoint files of this naming scheme are
 * kept; no other file in the directory is ever deleted or overwritten.
 *
 * <p><b>Format</b>: a zip with {@code model.zip} ({@link CheckpointableModel#save(OutputStream)}; for a
 * {@link LocalModuleGraph} its modules, heads, updater state, configuration and counters),
 * {@code data-state.json} (iterator seed, epoch, position), {@code metadata.json} (the caller's strings),
 * {@code training-state.json} (counters, the model's {@link CheckpointableModel#checkpointKind() kind} and ND4J's
 * random state) and, written last, {@code manifest.json} with the SHA-256 of every other entry. Reading verifies the manifest before
 * anything is parsed, so corrupt bytes never reach the DL4J deserialiser.
 *
 * <p><b>Reading</b> ({@link #loadLatest}): the newest checkpoint that verifies is returned; truncated or corrupt
 * files are skipped with a warning. One process should write to a directory at a time.
 */
public final class CheckpointManager {

    /** Default number of checkpoints kept. */
    public static final int DEFAULT_KEEP_LAST = 2;

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointManager.class);
    private static final Pattern NAME = Pattern.compile("checkpoint-e(\\d+)-i(\\d+)\\.zip");
    private static final Pattern TEMP = Pattern.compile("\\.checkpoint-.*\\.tmp");
    private static final int FORMAT_VERSION = 1;
    private static final String ENTRY_MODEL = "model.zip";
    private static final String ENTRY_DATA = "data-state.json";
    private static final String ENTRY_METADATA = "metadata.json";
    private static final String ENTRY_TRAINING = "training-state.json";
    private static final String ENTRY_MANIFEST = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int keepLast;
    /** Test hook: runs after the temporary file is complete and fsynced, before the rename. */
    Consumer<Path> beforeRename = p -> { };

    /**
     * @param dir      the checkpoint directory (created on the first save if missing)
     * @param keepLast how many checkpoints to keep, at least 1
     * @throws IllegalArgumentException when {@code dir} is an existing file, or {@code keepLast < 1}
     */
    public CheckpointManager(Path dir, int keepLast) {
        if (dir == null) {
            throw new IllegalArgumentException("checkpoint directory must not be null");
        }
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be >= 1 (the newest checkpoint is always kept), got "
                    + keepLast);
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            // found now, before training, rather than at the first checkpoint after an epoch
            throw new IllegalArgumentException("The checkpoint directory " + dir.toAbsolutePath() + " is a file:"
                    + " give a directory (it is created if missing)");
        }
        this.dir = dir.toAbsolutePath();
        this.keepLast = keepLast;
    }

    /** A manager keeping the last {@value #DEFAULT_KEEP_LAST} checkpoints. */
    public CheckpointManager(Path dir) {
        this(dir, DEFAULT_KEEP_LAST);
    }

    /** @return the checkpoint directory */
    public Path getDirectory() {
        return dir;
    }

    /** @return how many checkpoints are kept */
    public int getKeepLast() {
        return keepLast;
    }

    /** The file name of the checkpoint after {@code epoch} epochs and {@code iteration} iterations. */
    public static String fileName(int epoch, int iteration) {
        return String.format("checkpoint-e%04d-i%06d.zip", epoch, iteration);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Writes a checkpoint atomically and prunes old ones.
     *
     * @param model     the model: a {@link LocalModuleGraph}, a {@code SameDiffLocalModel} or another
     *                  {@link CheckpointableModel} (its epoch and iteration counters name the file)
     * @param dataState the data iterator's state, or null
     * @param metadata  the caller's strings, e.g. the run specification; null for none
     * @return the checkpoint file
     * @throws IllegalStateException when a valid checkpoint with the same epoch and iteration already exists
     * @throws IOException           when writing fails (the previous checkpoints are untouched)
     */
    public Path save(CheckpointableModel model, IteratorState dataState, Map<String, String> metadata)
            throws IOException {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null");
        }
        Files.createDirectories(dir);
        cleanTempFiles();
        String name = fileName(model.getEpochCount(), model.getIterationCount());
        Path target = dir.resolve(name);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        ByteArrayOutputStream modelBytes = new ByteArrayOutputStream();
        model.save(modelBytes);
        entries.put(ENTRY_MODEL, modelBytes.toByteArray());
        if (dataState != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("seed", dataState.getSeed());
            d.put("epoch", dataState.getEpoch());
            d.put("position", dataState.getPosition());
            entries.put(ENTRY_DATA, JSON.writeValueAsBytes(d));
        }
        entries.put(ENTRY_METADATA, JSON.writeValueAsBytes(metadata == null ? Map.of() : new LinkedHashMap<>(metadata)));
        Random rng = Nd4j.getRandom();
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("epoch", model.getEpochCount());
        t.put("iteration", model.getIterationCount());
        t.put("model", model.checkpointKind());
        t.put("randomRootState", rng.rootState());
        t.put("randomNodeState", rng.nodeState());
        entries.put(ENTRY_TRAINING, JSON.writeValueAsBytes(t));
        Map<String, String> sums = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            sums.put(e.getKey(), sha256(e.getValue()));
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", FORMAT_VERSION);
        manifest.put("sha256", sums);
        entries.put(ENTRY_MANIFEST, JSON.writeValueAsBytes(manifest));

        AtomicFiles.write(target, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            zip.setLevel(Deflater.BEST_SPEED);
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
            zip.finish();
        }, (tmp, file) -> {
            beforeRename.accept(tmp);
            moveAsideIfPresent(file);
        });
        prune();
        return target;
    }

    // Never overwrite: a valid file of the same name is an error, a corrupt one is kept under another name.
    private void moveAsideIfPresent(Path target) throws IOException {
        if (!Files.exists(target)) {
            return;
        }
        try {
            read(target);
        } catch (CheckpointException e) {
            Path aside = target.resolveSibling(target.getFileName() + ".corrupt");
            for (int i = 1; Files.exists(aside); i++) {
                aside = target.resolveSibling(target.getFileName() + ".corrupt" + i);
            }
            LOG.warn("Checkpoint {} is corrupt ({}); keeping it as {} and writing a new one", target, e.getMessage(),
                    aside.getFileName());
            Files.move(target, aside);
            return;
        }
        throw new IllegalStateException("A valid checkpoint " + target + " for the same epoch and iteration already"
                + " exists; refusing to overwrite it. Resume from it, or use another checkpoint directory");
    }

    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = 0; i < all.size() - keepLast; i++) {
            Files.deleteIfExists(all.get(i));
        }
    }

    /**
     * Deletes temporary files left by an interrupted {@link #save} (called by save itself).
     *
     * @return how many were deleted
     */
    public int cleanTempFiles() throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (TEMP.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                    LOG.info("Deleted leftover temporary checkpoint file {}", p);
                    n++;
                }
            }
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * The checkpoint files in the directory, oldest first (by epoch, then iteration); temporary files and other
     * files are not listed. Empty when the directory does not exist.
     */
    public List<Path> list() {
        if (!Files.isDirectory(dir)) {
            return Collections.emptyList();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list checkpoint directory " + dir, e);
        }
        files.sort(Comparator.<Path>comparingLong(p -> number(p, 1)).thenComparingLong(p -> number(p, 2)));
        return files;
    }

    private static long number(Path p, int group) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalStateException(p.toString());
        }
        String digits = m.group(group);
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    /**
     * The newest valid checkpoint. Invalid ones (truncated, corrupt, checksum mismatch) are skipped with a warning.
     *
     * @return empty when the directory holds no checkpoint file
     * @throws CheckpointException when checkpoint files exist but none is valid; the message lists each and why
     */
    public Optional<Checkpoint> loadLatest() {
        List<Path> files = list();
        if (files.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder tried = new StringBuilder();
        CheckpointException last = null;
        for (int i = files.size() - 1; i >= 0; i--) {
            Path f = files.get(i);
            try {
                return Optional.of(read(f));
            } catch (CheckpointException e) {
                LOG.warn("Skipping invalid checkpoint {}: {}{}", f, e.getMessage(),
                        i > 0 ? "; trying the previous one" : "");
                tried.append("\n  ").append(f.getFileName()).append(": ").append(e.getMessage());
                last = e;
            }
        }
        throw new CheckpointException("No valid checkpoint in " + dir + "; tried (newest first):" + tried
                + "\nStart training from scratch or restore a checkpoint file from a backup", last);
    }

    /**
     * Reads and verifies one checkpoint file.
     *
     * @throws CheckpointException when it is missing, truncated, corrupt or not a checkpoint
     */
    public static Checkpoint read(Path file) {
        try {
            return readUnchecked(file);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ZipException, EOFException, JSON errors; corrupt bytes never reach the model parser (checksums first)
            throw new CheckpointException("unreadable (" + e + ")", e);
        }
    }

    private static Checkpoint readUnchecked(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException("not a file: " + file, null);
        }
        long size = Files.size(file);
        // Deflate expands at most ~1032x; a bound keeps a corrupt header from exhausting memory.
        long limit = Math.min(Integer.MAX_VALUE - 16L, size * 1100L + (1 << 20));
        Map<String, byte[]> entries = new HashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            var en = zip.entries();
            long total = 0;
            while (en.hasMoreElements()) {
                ZipEntry e = en.nextElement();
                if (entries.containsKey(e.getName())) {
                    throw new CheckpointException("duplicate entry '" + e.getName() + "'", null);
                }
                try (InputStream in = zip.getInputStream(e)) {
                    byte[] b = readBounded(in, limit - total);
                    total += b.length;
                    entries.put(e.getName(), b);
                }
            }
        }
        byte[] manifestBytes = entries.get(ENTRY_MANIFEST);
        if (manifestBytes == null) {
            throw new CheckpointException("no " + ENTRY_MANIFEST + " (incomplete or not a checkpoint)", null);
        }
        JsonNode manifest = JSON.readTree(manifestBytes);
        if (manifest == null || manifest.path("format").asInt(-1) != FORMAT_VERSION) {
            throw new CheckpointException("unsupported checkpoint format " + (manifest == null ? null
                    : manifest.get("format")) + " (this version reads format " + FORMAT_VERSION + ")", null);
        }
        Map<String, String> sums = JSON.convertValue(manifest.path("sha256"), new TypeReference<Map<String, String>>() {
        });
        if (sums == null) {
            throw new CheckpointException("manifest lists no checksums", null);
        }
        for (String required : new String[]{ENTRY_MODEL, ENTRY_METADATA, ENTRY_TRAINING}) {
            if (!sums.containsKey(required)) {
                throw new CheckpointException("manifest does not list '" + required + "'", null);
            }
        }
        for (Map.Entry<String, String> s : sums.entrySet()) {
            byte[] b = entries.get(s.getKey());
            if (b == null) {
                throw new CheckpointException("entry '" + s.getKey() + "' is missing", null);
            }
            if (!sha256(b).equals(s.getValue())) {
                throw new CheckpointException("SHA-256 mismatch in entry '" + s.getKey() + "'", null);
            }
        }
        Map<String, String> metadata = JSON.readValue(entries.get(ENTRY_METADATA),
                new TypeReference<LinkedHashMap<String, String>>() {
                });
        JsonNode training = JSON.readTree(entries.get(ENTRY_TRAINING));
        IteratorState dataState = null;
        if (sums.containsKey(ENTRY_DATA)) {
            JsonNode d = JSON.readTree(entries.get(ENTRY_DATA));
            dataState = new IteratorState(d.get("seed").asLong(), d.get("epoch").asInt(), d.get("position").asInt());
        }
        // Checkpoints written before other model kinds existed carry no kind: they hold a LocalModuleGraph.
        String kind = training.path("model").asText(Checkpoint.KIND_LOCAL_MODULE_GRAPH);
        byte[] modelBytes = entries.get(ENTRY_MODEL);
        // A LocalModuleGraph is read here, so that a model the serialiser rejects makes the file invalid; other
        // kinds are code plus state and are read into a model the caller builds (Checkpoint#openModelState).
        LocalModuleGraph model = !Checkpoint.KIND_LOCAL_MODULE_GRAPH.equals(kind) ? null
                : LocalModuleGraph.load(new ByteArrayInputStream(modelBytes), file + "!/" + ENTRY_MODEL);
        return new Checkpoint(kind, model, modelBytes, dataState, Collections.unmodifiableMap(metadata), file,
                training.path("epoch").asInt(), training.path("iteration").asInt(),
                training.path("randomRootState").asLong(), training.path("randomNodeState").asLong());
    }

    private static byte[] readBounded(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        long n = 0;
        int r;
        while ((r = in.read(buf)) >= 0) {
            n += r;
            if (n > limit) {
                throw new CheckpointException("an entry expands beyond " + limit + " bytes (corrupt)", null);
            }
            out.write(buf, 0, r);
        }
        return out.toByteArray();
    }

    private static String sha256(byte[] data) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(data);
            StringBuilder sb = new StringBuilder(64);
            for (byte b : d) {
                sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
