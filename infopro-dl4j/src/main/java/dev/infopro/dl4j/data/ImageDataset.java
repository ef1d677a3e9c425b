package dev.infopro.dl4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * An in-memory labelled image dataset: uint8 pixels in NCHW order (one byte per value, read as unsigned) and integer
 * class labels in {@code [0, numClasses)}.
 *
 * <p>Instances are treated as immutable: the arrays are not copied on the way in (datasets are large) and
 * {@link #pixels()} / {@link #labels()} expose the internal arrays for fast batch building, so callers must not
 * modify them.
 */
public final class ImageDataset {
    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int numClasses;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    /**
     * @param name       human-readable name, e.g. {@code "cifar10/train"}
     * @param pixels     {@code size * channels * height * width} bytes, NCHW
     * @param labels     one label per image, each in {@code [0, numClasses)}
     * @param numClasses number of classes
     * @param channels   image channels
     * @param height     image height
     * @param width      image width
     * @param classNames class names (size {@code numClasses}) or {@code null} for "0", "1", ...
     * @throws IllegalArgumentException if the sizes are inconsistent or a label is out of range
     */
    public ImageDataset(String name, byte[] pixels, int[] labels, int numClasses, int channels, int height, int width,
                        List<String> classNames) {
        this.name = Objects.requireNonNull(name, "name");
        this.pixels = Objects.requireNonNull(pixels, "pixels");
        this.labels = Objects.requireNonNull(labels, "labels");
        if (numClasses <= 0 || channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(name + ": numClasses, channels, height and width must be positive");
        }
        long expected = (long) labels.length * channels * height * width;
        if (pixels.length != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " pixel bytes for " + labels.length
                    + " images of " + channels + "x" + height + "x" + width + ", found " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(name + ": label " + labels[i] + " of image " + i
                        + " is outside [0, " + numClasses + ")");
            }
        }
        this.numClasses = numClasses;
        this.channels = channels;
        this.height = height;
        this.width = width;
        List<String> names = new ArrayList<>(numClasses);
        if (classNames == null) {
            for (int i = 0; i < numClasses; i++) {
                names.add(Integer.toString(i));
            }
        } else {
            if (classNames.size() != numClasses) {
                throw new IllegalArgumentException(name + ": " + classNames.size() + " class names for " + numClasses
                        + " classes");
            }
            names.addAll(classNames);
        }
        this.classNames = Collections.unmodifiableList(names);
    }

    /** @return the dataset's name, e.g. {@code "fashion-mnist/train"} */
    public String name() {
        return name;
    }

    /** @return the internal NCHW uint8 pixel array (do not modify) */
    public byte[] pixels() {
        return pixels;
    }

    /** @return the internal label array (do not modify) */
    public int[] labels() {
        return labels;
    }

    /** @return number of images */
    public int size() {
        return labels.length;
    }

    /** @return number of classes */
    public int numClasses() {
        return numClasses;
    }

    /** @return channels per image */
    public int channels() {
        return channels;
    }

    /** @return image height */
    public int height() {
        return height;
    }

    /** @return image width */
    public int width() {
        return width;
    }

    /** @return bytes per image, {@code channels * height * width} */
    public int imageSize() {
        return channels * height * width;
    }

    /** @return unmodifiable class names, one per class */
    public List<String> classNames() {
        return classNames;
    }

    /** @return the unsigned pixel value of image {@code i} at channel {@code c}, row {@code y}, column {@code x} */
    public int pixel(int i, int c, int y, int x) {
        return pixels[((i * channels + c) * height + y) * width + x] & 0xff;
    }

    /**
     * @param n number of images to keep
     * @return the first {@code n} images (this dataset itself if {@code n >= size()})
     */
    public ImageDataset subset(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("subset size must be >= 0, got " + n);
        }
        if (n >= size()) {
            return this;
        }
        return new ImageDataset(name, Arrays.copyOf(pixels, n * imageSize()), Arrays.copyOf(labels, n), numClasses,
                channels, height, width, classNames);
    }

    /**
     * Draws {@code n} distinct images at random (reproducible for a given seed). The chosen images keep their
     * original relative order so a subset of a subset behaves predictably.
     *
     * @param n    number of images to keep
     * @param seed random seed
     * @return the random subset (this dataset itself if {@code n >= size()})
     */
    public ImageDataset subset(int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("subset size must be >= 0, got " + n);
        }
        if (n >= size()) {
            return this;
        }
        int[] idx = new int[size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        // Partial Fisher-Yates: the first n slots become a uniform sample without replacement.
        for (int i = 0; i < n; i++) {
            int j = i + rnd.nextInt(idx.length - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] chosen = Arrays.copyOf(idx, n);
        Arrays.sort(chosen);
        int is = imageSize();
        byte[] px = new byte[n * is];
        int[] lb = new int[n];
        for (int k = 0; k < n; k++) {
            System.arraycopy(pixels, chosen[k] * is, px, k * is, is);
            lb[k] = labels[chosen[k]];
        }
        return new ImageDataset(name, px, lb, numClasses, channels, height, width, classNames);
    }

    @Override
    public String toString() {
        return name + "[" + size() + " x " + channels + "x" + height + "x" + width + ", " + numClasses + " classes]";
    }
}
