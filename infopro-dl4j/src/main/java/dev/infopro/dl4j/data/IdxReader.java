package dev.infopro.dl4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Reader for the IDX format of MNIST and Fashion-MNIST: an images file (magic 2051, unsigned byte, 3 dimensions
 * count x rows x cols) and a labels file (magic 2049, 1 dimension). Files may be gzip-compressed or raw; gzip is
 * detected from the magic bytes, not the file name.
 */
public final class IdxReader {
    /** Magic number of an unsigned-byte IDX file with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an unsigned-byte IDX file with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;
    /** Upper bound on a header-declared image side; anything larger is treated as a corrupt header. */
    private static final int MAX_SIDE = 4096;

    private IdxReader() {
    }

    /**
     * Reads an images file and a labels file.
     *
     * @param images     images file (idx3, raw or gzip)
     * @param labels     labels file (idx1, raw or gzip)
     * @param name       dataset name to give the result
     * @param numClasses number of classes (labels must be below it)
     * @param classNames class names or {@code null}
     * @return the dataset, single-channel
     * @throws DatasetFormatException if a file is missing, truncated or corrupt, or the counts disagree
     */
    public static ImageDataset read(Path images, Path labels, String name, int numClasses, List<String> classNames)
            throws IOException {
        return decode(DataFiles.readFile(images), images.toString(), DataFiles.readFile(labels), labels.toString(),
                name, numClasses, classNames);
    }

    /**
     * Decodes images and labels already in memory (e.g. classpath resources).
     *
     * @param imageBytes  content of the images file, raw or gzip
     * @param imageSource name of the images file for messages
     * @param labelBytes  content of the labels file, raw or gzip
     * @param labelSource name of the labels file for messages
     * @param name        dataset name
     * @param numClasses  number of classes
     * @param classNames  class names or {@code null}
     * @return the dataset
     * @throws DatasetFormatException on any format problem
     */
    public static ImageDataset decode(byte[] imageBytes, String imageSource, byte[] labelBytes, String labelSource,
                                      String name, int numClasses, List<String> classNames)
            throws DatasetFormatException {
        byte[] img = DataFiles.maybeGunzip(imageBytes, imageSource);
        byte[] lab = DataFiles.maybeGunzip(labelBytes, labelSource);
        // Magic first: a labels file passed as images should say so, not just "too short".
        if (img.length >= 4 && DataFiles.readIntBE(img, 0) != IMAGES_MAGIC) {
            throw new DatasetFormatException(imageSource + ": expected IDX images magic number 2051, found "
                    + DataFiles.readIntBE(img, 0));
        }
        if (img.length < 16) {
            throw new DatasetFormatException(imageSource + ": expected an IDX images header of 16 bytes, found "
                    + img.length + " bytes");
        }
        int count = DataFiles.readIntBE(img, 4);
        int rows = DataFiles.readIntBE(img, 8);
        int cols = DataFiles.readIntBE(img, 12);
        if (count < 0 || rows <= 0 || cols <= 0 || rows > MAX_SIDE || cols > MAX_SIDE) {
            throw new DatasetFormatException(imageSource + ": implausible IDX header: " + count + " images of "
                    + rows + "x" + cols);
        }
        long expected = 16L + (long) count * rows * cols;
        if (img.length != expected) {
            throw new DatasetFormatException(imageSource + ": expected " + expected + " bytes for " + count
                    + " images of " + rows + "x" + cols + ", found " + img.length);
        }
        if (lab.length >= 4 && DataFiles.readIntBE(lab, 0) != LABELS_MAGIC) {
            throw new DatasetFormatException(labelSource + ": expected IDX labels magic number 2049, found "
                    + DataFiles.readIntBE(lab, 0));
        }
        if (lab.length < 8) {
            throw new DatasetFormatException(labelSource + ": expected an IDX labels header of 8 bytes, found "
                    + lab.length + " bytes");
        }
        int lcount = DataFiles.readIntBE(lab, 4);
        if (lcount != count) {
            throw new DatasetFormatException(labelSource + ": expected " + count + " labels to match " + imageSource
                    + ", found a header count of " + lcount);
        }
        if (lab.length != 8L + count) {
            throw new DatasetFormatException(labelSource + ": expected " + (8L + count) + " bytes for " + count
                    + " labels, found " + lab.length);
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            int v = lab[8 + i] & 0xff;
            if (v >= numClasses) {
                throw new DatasetFormatException(labelSource + ": expected labels in [0, " + numClasses
                        + "), found " + v + " at index " + i);
            }
            labels[i] = v;
        }
        byte[] pixels = Arrays.copyOfRange(img, 16, img.length);
        return new ImageDataset(name, pixels, labels, numClasses, 1, rows, cols, classNames);
    }
}
