package dev.infopro.dl4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reader for the SVHN cropped-digits files ({@code train_32x32.mat}, {@code test_32x32.mat}): MATLAB v5 files with
 * {@code X}, uint8 {@code [32, 32, 3, N]} in column-major order (row, column, channel, image), and {@code y},
 * {@code [N, 1]}, labels 1..10 where 10 stands for the digit 0. The result is NCHW with labels 0..9 (the digit).
 */
public final class SvhnReader {
    private SvhnReader() {
    }

    /**
     * @param file       the {@code .mat} file
     * @param name       dataset name
     * @param classNames class names or {@code null}
     * @return the dataset, 10 classes, 3x32x32
     * @throws DatasetFormatException if the file is missing or corrupt, or {@code X}/{@code y} are missing or
     *                                shaped wrongly
     */
    public static ImageDataset read(Path file, String name, List<String> classNames) throws IOException {
        return decode(DataFiles.readFile(file), file.toString(), name, classNames);
    }

    /**
     * Decodes the bytes of an SVHN {@code .mat} file.
     *
     * @param content    file content
     * @param source     file name for messages
     * @param name       dataset name
     * @param classNames class names or {@code null}
     * @return the dataset
     * @throws DatasetFormatException on any format problem
     */
    public static ImageDataset decode(byte[] content, String source, String name, List<String> classNames)
            throws DatasetFormatException {
        Map<String, MatArray> vars = MatV5Reader.decode(content, source, Set.of("X", "y"));
        MatArray x = vars.get("X");
        MatArray y = vars.get("y");
        if (x == null || y == null) {
            throw new DatasetFormatException(source + ": expected variables X and y, found " + vars.keySet());
        }
        int[] xd = x.dims();
        if (!(xd.length == 4 && xd[0] == 32 && xd[1] == 32 && xd[2] == 3)
                && !(xd.length == 3 && xd[0] == 32 && xd[1] == 32 && xd[2] == 3)) {
            throw new DatasetFormatException(source + ": expected X of size [32, 32, 3, N], found "
                    + Arrays.toString(xd));
        }
        int n = xd.length == 4 ? xd[3] : 1;
        int[] yd = y.dims();
        if (y.numel() != n || yd.length != 2 || (yd[0] != n && yd[1] != n)) {
            throw new DatasetFormatException(source + ": expected y of size [" + n + ", 1] to match X, found "
                    + Arrays.toString(yd));
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double v = y.getDouble(i);
            if (!(v >= 1 && v <= 10 && v == Math.rint(v))) {
                throw new DatasetFormatException(source + ": expected labels 1..10 in y, found " + v + " at index "
                        + i);
            }
            labels[i] = (int) v == 10 ? 0 : (int) v;
        }
        byte[] src = x.toUint8(source);
        byte[] out = new byte[src.length];
        // Column-major [row, col, ch, n]: src index = r + 32*c + 1024*ch + 3072*n; NCHW dst = n*3072 + ch*1024 + r*32 + c.
        for (int plane = 0; plane < n * 3; plane++) {
            int base = plane * 1024;
            for (int c = 0; c < 32; c++) {
                int s = base + c * 32;
                for (int r = 0; r < 32; r++) {
                    out[base + r * 32 + c] = src[s + r];
                }
            }
        }
        return new ImageDataset(name, out, labels, 10, 3, 32, 32, classNames);
    }
}
