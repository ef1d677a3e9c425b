package dev.infopro.dl4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/** Writers for small files in the exact real formats, and lookup of the shared real data. */
final class TestFiles {
    private TestFiles() {
    }

    /** Pixel value of a synthetic image, distinct enough to catch transposition and ordering errors. */
    static int value(int n, int c, int r, int col) {
        return (n * 37 + c * 101 + r * 7 + col * 3) & 0xff;
    }

    static byte[] idxImages(int n, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols);
        b.putInt(2051).putInt(n).putInt(rows).putInt(cols);
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    b.put((byte) value(i, 0, r, c));
                }
            }
        }
        return b.array();
    }

    static byte[] idxLabels(int[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(2049).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bos)) {
            g.write(data);
        }
        return bos.toByteArray();
    }

    /** CIFAR records: label byte(s) then 3072 CHW pixels. For CIFAR-100 coarse = fine % 20. */
    static byte[] cifar(int[] labels, int labelBytes, int imageOffset) {
        ByteBuffer b = ByteBuffer.allocate(labels.length * (labelBytes + 3072));
        for (int i = 0; i < labels.length; i++) {
            if (labelBytes == 2) {
                b.put((byte) (labels[i] % 20));
            }
            b.put((byte) labels[i]);
            for (int c = 0; c < 3; c++) {
                for (int r = 0; r < 32; r++) {
                    for (int col = 0; col < 32; col++) {
                        b.put((byte) value(i + imageOffset, c, r, col));
                    }
                }
            }
        }
        return b.array();
    }

    /** STL-10 X: per image 3 planes of 96x96, each stored column-major (column after column). */
    static byte[] stlImages(int n) {
        byte[] x = new byte[n * 3 * 96 * 96];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                for (int col = 0; col < 96; col++) {
                    for (int r = 0; r < 96; r++) {
                        x[k++] = (byte) value(i, c, r, col);
                    }
                }
            }
        }
        return x;
    }

    /** SVHN X as MATLAB stores it: [32, 32, 3, N] column-major (row fastest, then column, channel, image). */
    static byte[] svhnX(int n) {
        byte[] x = new byte[32 * 32 * 3 * n];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                for (int col = 0; col < 32; col++) {
                    for (int r = 0; r < 32; r++) {
                        x[r + 32 * col + 1024 * c + 3072 * i] = (byte) value(i, c, r, col);
                    }
                }
            }
        }
        return x;
    }

    // ---- MAT v5 (little-endian) ----

    static byte[] matHeader() {
        byte[] h = new byte[128];
        byte[] text = "MATLAB 5.0 MAT-file, Platform: test, Created on: today".getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(h, 0, 116, (byte) ' ');
        System.arraycopy(text, 0, h, 0, text.length);
        h[124] = 0x00;
        h[125] = 0x01;
        h[126] = 'I';
        h[127] = 'M';
        return h;
    }

    private static void tag(ByteArrayOutputStream out, int type, int nbytes) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(nbytes).array());
    }

    private static void padded(ByteArrayOutputStream out, byte[] data) {
        out.writeBytes(data);
        int pad = (8 - data.length % 8) % 8;
        out.writeBytes(new byte[pad]);
    }

    /** A miMATRIX element for a real numeric array; names of up to 4 characters use the small element format. */
    static byte[] matMatrix(String name, int[] dims, int mxClass, int dataType, byte[] data) {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        tag(c, 6, 8);
        c.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(mxClass).putInt(0).array());
        ByteBuffer d = ByteBuffer.allocate(4 * dims.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : dims) {
            d.putInt(x);
        }
        tag(c, 5, 4 * dims.length);
        padded(c, d.array());
        byte[] nm = name.getBytes(StandardCharsets.US_ASCII);
        if (nm.length <= 4) {
            c.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((nm.length << 16) | 1).array());
            c.writeBytes(Arrays.copyOf(nm, 4));
        } else {
            tag(c, 1, nm.length);
            padded(c, nm);
        }
        tag(c, dataType, data.length);
        padded(c, data);
        byte[] content = c.toByteArray();
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        tag(m, 14, content.length);
        m.writeBytes(content);
        return m.toByteArray();
    }

    static byte[] matCompressed(byte[] element) {
        Deflater d = new Deflater();
        d.setInput(element);
        d.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            int n = d.deflate(buf);
            z.write(buf, 0, n);
        }
        d.end();
        byte[] zb = z.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        tag(out, 15, zb.length);
        out.writeBytes(zb);
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] doublesLE(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putDouble(x);
        }
        return b.array();
    }

    /** An SVHN file with n images; labels 1..10 stored as class double, either as miDOUBLE or as miUINT8. */
    static byte[] svhnMat(int[] labels1to10, boolean compressed, boolean yAsUint8) {
        int n = labels1to10.length;
        byte[] x = matMatrix("X", new int[]{32, 32, 3, n}, 9, 2, svhnX(n));
        byte[] yData;
        if (yAsUint8) {
            yData = new byte[n];
            for (int i = 0; i < n; i++) {
                yData[i] = (byte) labels1to10[i];
            }
        } else {
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = labels1to10[i];
            }
            yData = doublesLE(d);
        }
        byte[] y = matMatrix("y", new int[]{n, 1}, 6, yAsUint8 ? 2 : 9, yData);
        if (compressed) {
            return concat(matHeader(), matCompressed(x), matCompressed(y));
        }
        return concat(matHeader(), x, y);
    }

    static Path write(Path dir, String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    /** Walks up from the working directory to find shared/data/fashion-mnist; null if absent. */
    static Path fashionMnistDir() {
        Path p = Paths.get("").toAbsolutePath();
        while (p != null) {
            Path d = p.resolve("shared/data/fashion-mnist");
            if (Files.isDirectory(d)) {
                return d;
            }
            p = p.getParent();
        }
        return null;
    }

    /** Walks up from the working directory to find a path relative to the repository root; null if absent. */
    static Path findUp(String relative) {
        Path p = Paths.get("").toAbsolutePath();
        while (p != null) {
            Path d = p.resolve(relative);
            if (Files.exists(d)) {
                return d;
            }
            p = p.getParent();
        }
        return null;
    }
}
