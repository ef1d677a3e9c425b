package dev.infopro.dl4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reader for the labelled part of the STL-10 binary release: {@code *_X.bin} holds uint8 images of 3x96x96 in
 * MATLAB column-major order (each channel plane is stored transposed, column after column) and {@code *_y.bin} one
 * label byte per image in 1..10. The result is NCHW with labels 0..9.
 */
public final class Stl10Reader {
    /** Image side. */
    public static final int SIDE = 96;
    /** Bytes per image. */
    public static final int IMAGE_BYTES = 3 * SIDE * SIDE;

    private Stl10Reader() {
    }

    /**
     * @param images     {@code train_X.bin} or {@code test_X.bin}
     * @param labels     {@code train_y.bin} or {@code test_y.bin}
     * @param name       dataset name
     * @param classNames class names or {@code null}
     * @return the dataset, 10 classes, 3x96x96
     * @throws DatasetFormatException if a file is missing, sized wrongly, or a label is outside 1..10
     */
    public static ImageDataset read(Path images, Path labels, String name, List<String> classNames)
            throws IOException {
        byte[] lab = DataFiles.readFile(labels);
        int n = lab.length;
        if (n == 0) {
            throw new DatasetFormatException(labels + ": expected one label byte per image, found an empty file");
        }
        byte[] x = DataFiles.readFile(images);
        long expected = (long) n * IMAGE_BYTES;
        if (x.length != expected) {
            throw new DatasetFormatException(images + ": expected " + expected + " bytes for " + n
                    + " images of 3x96x96 (one per label in " + labels.getFileName() + "), found " + x.length);
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int v = lab[i] & 0xff;
            if (v < 1 || v > 10) {
                throw new DatasetFormatException(labels + ": expected labels 1..10, found " + v + " at index " + i);
            }
            y[i] = v - 1;
        }
        // Transpose each channel plane from column-major: out[c][r][col] = in[c][col][r].
        byte[] out = new byte[x.length];
        int plane = SIDE * SIDE;
        for (int p = 0; p < n * 3; p++) {
            int base = p * plane;
            for (int col = 0; col < SIDE; col++) {
                int src = base + col * SIDE;
                for (int r = 0; r < SIDE; r++) {
                    out[base + r * SIDE + col] = x[src + r];
                }
            }
        }
        return new ImageDataset(name, out, y, 10, 3, SIDE, SIDE, classNames);
    }
}
