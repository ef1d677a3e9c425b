package dev.infopro.dl4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import lombok.extern.slf4j.Slf4j;

/**
 * Parses the dataset specs of the command line, {@code NAME[:DIR]}, and loads the splits with the dataset's standard
 * normalisation and augmentation (docs/method.md §3):
 * <ul>
 *   <li>{@code fashion-mnist[:DIR]}: IDX files; without DIR, the embedded subset (first 6,000 train / 1,000 test
 *       images) shipped as a classpath resource of the examples jar. Normalisation mean 0.28604060411453247,
 *       std 0.3530242443084717; no augmentation.</li>
 *   <li>{@code mnist:DIR}: IDX files; mean/std computed from the training split; no augmentation.</li>
 *   <li>{@code cifar10:DIR}, {@code cifar100:DIR}: binary versions; mean (125.3, 123.0, 113.9)/255, std
 *       (63.0, 62.1, 66.7)/255; reflect-pad 4, random crop 32, horizontal flip.</li>
 *   <li>{@code svhn:DIR}: {@code train_32x32.mat} and {@code test_32x32.mat}; mean = std = 0.5; zero-pad 2, random
 *       crop 32, no flip.</li>
 *   <li>{@code stl10:DIR}: labelled binary files; mean = std = 0.5; zero-pad 4, random crop 96, horizontal flip.</li>
 * </ul>
 * DIR may hold the files directly or in the folder the official archive extracts to
 * ({@code cifar-10-batches-bin}, {@code cifar-100-binary}, {@code stl10_binary}).
 */
@Slf4j
public final class Datasets {
    /** Known dataset names, in the order listed in error messages. */
    public static final List<String> KNOWN = List.of("fashion-mnist", "mnist", "cifar10", "cifar100", "svhn", "stl10");
    /** Classpath folder of the embedded Fashion-MNIST subset. */
    public static final String EMBEDDED_FASHION_MNIST = "/dev/infopro/dl4j/data/fashion-mnist-subset/";
    /** Fixed Fashion-MNIST training-set pixel mean in [0, 1] units. */
    public static final float FASHION_MNIST_MEAN = 0.28604060411453247f;
    /** Fixed Fashion-MNIST training-set pixel standard deviation in [0, 1] units. */
    public static final float FASHION_MNIST_STD = 0.3530242443084717f;

    static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");
    static final List<String> STL10_CLASSES = List.of("airplane", "bird", "car", "cat", "deer", "dog", "horse",
            "monkey", "ship", "truck");

    private Datasets() {
    }

    /** The CIFAR normalisation of the reference code: mean (125.3, 123.0, 113.9)/255, std (63.0, 62.1, 66.7)/255. */
    public static Normalization cifarNormalization() {
        return new Normalization(new float[]{125.3f / 255f, 123.0f / 255f, 113.9f / 255f},
                new float[]{63.0f / 255f, 62.1f / 255f, 66.7f / 255f});
    }

    /** @return the CIFAR training augmentation: reflect-pad 4, random crop 32, horizontal flip */
    public static Augmentation cifarAugmentation() {
        return Augmentation.builder().cropPadding(4).padMode(Augmentation.PadMode.REFLECT).horizontalFlip(true).build();
    }

    /** @return the SVHN training augmentation: zero-pad 2, random crop 32, no flip */
    public static Augmentation svhnAugmentation() {
        return Augmentation.builder().cropPadding(2).padMode(Augmentation.PadMode.ZERO).horizontalFlip(false).build();
    }

    /** @return the STL-10 training augmentation: zero-pad 4, random crop 96, horizontal flip */
    public static Augmentation stl10Augmentation() {
        return Augmentation.builder().cropPadding(4).padMode(Augmentation.PadMode.ZERO).horizontalFlip(true).build();
    }

    /**
     * Loads a dataset from its spec.
     *
     * @param spec {@code NAME[:DIR]}, see the class comment
     * @return train and test splits with normalisation and augmentation
     * @throws IllegalArgumentException if the name is unknown or a required DIR is missing
     * @throws IOException              if files are missing or corrupt ({@link DatasetFormatException})
     */
    public static DatasetSplits load(String spec) throws IOException {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty dataset spec; expected NAME[:DIR] with NAME one of " + KNOWN);
        }
        int colon = spec.indexOf(':');
        String name = (colon < 0 ? spec : spec.substring(0, colon)).trim().toLowerCase(java.util.Locale.ROOT);
        String dirText = colon < 0 ? null : spec.substring(colon + 1).trim();
        if (dirText != null && dirText.isEmpty()) {
            dirText = null;
        }
        if (!KNOWN.contains(name)) {
            throw new IllegalArgumentException("unknown dataset '" + name + "' in spec '" + spec
                    + "'; known datasets: " + String.join(", ", KNOWN));
        }
        if (dirText == null && !name.equals("fashion-mnist")) {
            throw new IllegalArgumentException("dataset '" + name + "' needs a directory: " + name + ":DIR");
        }
        Path dir = dirText == null ? null : Paths.get(dirText);
        if (dir != null && !Files.isDirectory(dir)) {
            throw new DatasetFormatException(dir + ": dataset directory for '" + name + "' not found");
        }
        DatasetSplits splits;
        switch (name) {
            case "fashion-mnist":
                splits = dir == null ? loadEmbeddedFashionMnist() : fromIdx("fashion-mnist", dir, FASHION_CLASSES,
                        Normalization.uniform(1, FASHION_MNIST_MEAN, FASHION_MNIST_STD));
                break;
            case "mnist":
                splits = fromIdx("mnist", dir, DIGITS, null);
                break;
            case "cifar10":
                splits = loadCifar10(dir);
                break;
            case "cifar100":
                splits = loadCifar100(dir);
                break;
            case "svhn":
                splits = loadSvhn(dir);
                break;
            case "stl10":
                splits = loadStl10(dir);
                break;
            default:
                throw new IllegalStateException(name);
        }
        log.info("Loaded {}: train {}, test {}", name, splits.getTrain(), splits.getTest());
        return splits;
    }

    private static DatasetSplits fromIdx(String name, Path dir, List<String> classes, Normalization norm)
            throws IOException {
        Path[] dirs = {dir};
        ImageDataset train = IdxReader.read(idxFile(dirs, "train-images", "idx3"), idxFile(dirs, "train-labels", "idx1"),
                name + "/train", 10, classes);
        ImageDataset test = IdxReader.read(idxFile(dirs, "t10k-images", "idx3"), idxFile(dirs, "t10k-labels", "idx1"),
                name + "/test", 10, classes);
        return DatasetSplits.builder().name(name).train(train).test(test)
                .normalization(norm != null ? norm : Normalization.fromDataset(train))
                .trainAugmentation(Augmentation.NONE).build();
    }

    /** Accepts both the canonical {@code train-images-idx3-ubyte} and the {@code train-images.idx3-ubyte} spelling. */
    private static Path idxFile(Path[] dirs, String stem, String kind) {
        String a = stem + "-" + kind + "-ubyte";
        String b = stem + "." + kind + "-ubyte";
        return DataFiles.firstExisting(dirs, a + ".gz", a, b + ".gz", b);
    }

    /**
     * Loads the Fashion-MNIST subset embedded in the examples jar.
     *
     * @return the splits
     * @throws IOException if the resources are not on the classpath (with advice) or are corrupt
     */
    public static DatasetSplits loadEmbeddedFashionMnist() throws IOException {
        byte[] trImg = resource("train-images-idx3-ubyte.gz");
        byte[] trLab = resource("train-labels-idx1-ubyte.gz");
        byte[] teImg = resource("t10k-images-idx3-ubyte.gz");
        byte[] teLab = resource("t10k-labels-idx1-ubyte.gz");
        String base = "classpath:" + EMBEDDED_FASHION_MNIST;
        ImageDataset train = IdxReader.decode(trImg, base + "train-images-idx3-ubyte.gz", trLab,
                base + "train-labels-idx1-ubyte.gz", "fashion-mnist-subset/train", 10, FASHION_CLASSES);
        ImageDataset test = IdxReader.decode(teImg, base + "t10k-images-idx3-ubyte.gz", teLab,
                base + "t10k-labels-idx1-ubyte.gz", "fashion-mnist-subset/test", 10, FASHION_CLASSES);
        return DatasetSplits.builder().name("fashion-mnist").train(train).test(test)
                .normalization(Normalization.uniform(1, FASHION_MNIST_MEAN, FASHION_MNIST_STD))
                .trainAugmentation(Augmentation.NONE).build();
    }

    private static byte[] resource(String file) throws IOException {
        String path = EMBEDDED_FASHION_MNIST + file;
        InputStream in = Datasets.class.getResourceAsStream(path);
        if (in == null) {
            ClassLoader cl = Thread.currentThread().getContextClassLoader();
            if (cl != null) {
                in = cl.getResourceAsStream(path.substring(1));
            }
        }
        if (in == null) {
            throw new DatasetFormatException("classpath:" + path + ": embedded Fashion-MNIST subset not found; it ships"
                    + " with the infopro examples jar. Put that jar on the classpath, or pass fashion-mnist:DIR with"
                    + " a folder holding the IDX files (train-images-idx3-ubyte.gz, ...)");
        }
        try (InputStream s = in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            s.transferTo(out);
            return out.toByteArray();
        }
    }

    private static DatasetSplits loadCifar10(Path dir) throws IOException {
        Path[] dirs = {dir, dir.resolve("cifar-10-batches-bin")};
        List<Path> train = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            train.add(DataFiles.firstExisting(dirs, "data_batch_" + i + ".bin"));
        }
        Path test = DataFiles.firstExisting(dirs, "test_batch.bin");
        List<String> classes = readNames(DataFiles.firstExisting(dirs, "batches.meta.txt"), 10, CIFAR10_CLASSES);
        return DatasetSplits.builder().name("cifar10")
                .train(CifarReader.readCifar10("cifar10/train", classes, train))
                .test(CifarReader.readCifar10("cifar10/test", classes, List.of(test)))
                .normalization(cifarNormalization()).trainAugmentation(cifarAugmentation()).build();
    }

    private static DatasetSplits loadCifar100(Path dir) throws IOException {
        Path[] dirs = {dir, dir.resolve("cifar-100-binary")};
        List<String> classes = readNames(DataFiles.firstExisting(dirs, "fine_label_names.txt"), 100, null);
        return DatasetSplits.builder().name("cifar100")
                .train(CifarReader.readCifar100("cifar100/train", classes,
                        List.of(DataFiles.firstExisting(dirs, "train.bin"))))
                .test(CifarReader.readCifar100("cifar100/test", classes,
                        List.of(DataFiles.firstExisting(dirs, "test.bin"))))
                .normalization(cifarNormalization()).trainAugmentation(cifarAugmentation()).build();
    }

    private static DatasetSplits loadSvhn(Path dir) throws IOException {
        return DatasetSplits.builder().name("svhn")
                .train(SvhnReader.read(dir.resolve("train_32x32.mat"), "svhn/train", DIGITS))
                .test(SvhnReader.read(dir.resolve("test_32x32.mat"), "svhn/test", DIGITS))
                .normalization(Normalization.uniform(3, 0.5f, 0.5f)).trainAugmentation(svhnAugmentation()).build();
    }

    private static DatasetSplits loadStl10(Path dir) throws IOException {
        Path[] dirs = {dir, dir.resolve("stl10_binary")};
        List<String> classes = readNames(DataFiles.firstExisting(dirs, "class_names.txt"), 10, STL10_CLASSES);
        return DatasetSplits.builder().name("stl10")
                .train(Stl10Reader.read(DataFiles.firstExisting(dirs, "train_X.bin"),
                        DataFiles.firstExisting(dirs, "train_y.bin"), "stl10/train", classes))
                .test(Stl10Reader.read(DataFiles.firstExisting(dirs, "test_X.bin"),
                        DataFiles.firstExisting(dirs, "test_y.bin"), "stl10/test", classes))
                .normalization(Normalization.uniform(3, 0.5f, 0.5f)).trainAugmentation(stl10Augmentation()).build();
    }

    /** Reads class names, one per line, if the metadata file exists and has the right count; else the fallback. */
    private static List<String> readNames(Path file, int count, List<String> fallback) {
        if (Files.isRegularFile(file)) {
            try {
                List<String> names = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        names.add(line.trim());
                    }
                }
                if (names.size() == count) {
                    return names;
                }
                log.warn("{}: expected {} class names, found {}; using defaults", file, count, names.size());
            } catch (IOException | RuntimeException e) {
                log.warn("{}: cannot read class names ({}); using defaults", file, e.toString());
            }
        }
        return fallback;
    }
}
