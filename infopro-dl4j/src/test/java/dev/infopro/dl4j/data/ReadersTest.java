package dev.infopro.dl4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadersTest {
    @TempDir
    Path dir;

    private static void assertPixels(ImageDataset d, int imageOffset) {
        for (int i = 0; i < d.size(); i++) {
            for (int c = 0; c < d.channels(); c++) {
                for (int r = 0; r < d.height(); r++) {
                    for (int col = 0; col < d.width(); col++) {
                        assertEquals(TestFiles.value(i + imageOffset, c, r, col), d.pixel(i, c, r, col),
                                "image " + i + " c" + c + " r" + r + " col" + col);
                    }
                }
            }
        }
    }

    @Test
    void idxRawAndGzipGiveTheSameElements() throws IOException {
        int[] labels = {3, 0, 9, 5, 7};
        byte[] img = TestFiles.idxImages(5, 6, 4);
        byte[] lab = TestFiles.idxLabels(labels);
        ImageDataset raw = IdxReader.read(TestFiles.write(dir, "i", img), TestFiles.write(dir, "l", lab), "raw", 10,
                null);
        ImageDataset gz = IdxReader.read(TestFiles.write(dir, "i.gz", TestFiles.gzip(img)),
                TestFiles.write(dir, "l.gz", TestFiles.gzip(lab)), "gz", 10, null);
        for (ImageDataset d : List.of(raw, gz)) {
            assertEquals(5, d.size());
            assertEquals(1, d.channels());
            assertEquals(6, d.height());
            assertEquals(4, d.width());
            assertArrayEquals(labels, d.labels());
            assertPixels(d, 0);
        }
    }

    @Test
    void idxCountMismatchAndBadMagicAreClear() throws IOException {
        Path img = TestFiles.write(dir, "train-images-idx3-ubyte", TestFiles.idxImages(5, 2, 2));
        Path lab = TestFiles.write(dir, "train-labels-idx1-ubyte", TestFiles.idxLabels(new int[]{1, 2, 3}));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> IdxReader.read(img, lab, "x", 10, null));
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte") && e.getMessage().contains("expected 5 labels"),
                e.getMessage());
        DatasetFormatException e2 = assertThrows(DatasetFormatException.class,
                () -> IdxReader.read(lab, lab, "x", 10, null));
        assertTrue(e2.getMessage().contains("magic number 2051, found 2049"), e2.getMessage());
        byte[] truncated = java.util.Arrays.copyOf(TestFiles.idxImages(5, 2, 2), 30);
        Path t = TestFiles.write(dir, "t-images", truncated);
        DatasetFormatException e3 = assertThrows(DatasetFormatException.class,
                () -> IdxReader.read(t, lab, "x", 10, null));
        assertTrue(e3.getMessage().contains("expected 36 bytes for 5 images of 2x2, found 30"), e3.getMessage());
        DatasetFormatException e4 = assertThrows(DatasetFormatException.class,
                () -> IdxReader.read(dir.resolve("missing"), lab, "x", 10, null));
        assertTrue(e4.getMessage().contains("missing") && e4.getMessage().contains("not found"), e4.getMessage());
    }

    @Test
    void realFashionMnistTestSetLoads() throws IOException {
        Path fm = TestFiles.fashionMnistDir();
        Assumptions.assumeTrue(fm != null, "shared/data/fashion-mnist not found");
        ImageDataset t = IdxReader.read(fm.resolve("t10k-images-idx3-ubyte.gz"),
                fm.resolve("t10k-labels-idx1-ubyte.gz"), "fm/test", 10, Datasets.FASHION_CLASSES);
        assertEquals(10_000, t.size());
        assertEquals(28, t.height());
        assertEquals(28, t.width());
        assertArrayEquals(new int[]{9, 2, 1, 1, 6}, java.util.Arrays.copyOf(t.labels(), 5));
        assertEquals("Ankle boot", t.classNames().get(t.labels()[0]));
        int[] counts = new int[10];
        for (int l : t.labels()) {
            counts[l]++;
        }
        assertArrayEquals(new int[]{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, counts);
    }

    @Test
    void embeddedSubsetEqualsTheFirstRealImages() throws IOException {
        Path fm = TestFiles.fashionMnistDir();
        Path sub = TestFiles.findUp("examples/src/main/resources/dev/infopro/dl4j/data/fashion-mnist-subset");
        Assumptions.assumeTrue(fm != null && sub != null, "real data or embedded subset not found");
        ImageDataset real = IdxReader.read(fm.resolve("t10k-images-idx3-ubyte.gz"),
                fm.resolve("t10k-labels-idx1-ubyte.gz"), "fm/test", 10, null);
        ImageDataset test = IdxReader.read(sub.resolve("t10k-images-idx3-ubyte.gz"),
                sub.resolve("t10k-labels-idx1-ubyte.gz"), "sub/test", 10, null);
        ImageDataset train = IdxReader.read(sub.resolve("train-images-idx3-ubyte.gz"),
                sub.resolve("train-labels-idx1-ubyte.gz"), "sub/train", 10, null);
        assertEquals(1000, test.size());
        assertEquals(6000, train.size());
        ImageDataset first = real.subset(1000);
        assertArrayEquals(first.labels(), test.labels());
        assertArrayEquals(first.pixels(), test.pixels());
    }

    @Test
    void cifar10ConcatenatesBatchesInOrder() throws IOException {
        int[] l1 = {0, 9, 4};
        int[] l2 = {6, 1};
        Path b1 = TestFiles.write(dir, "data_batch_1.bin", TestFiles.cifar(l1, 1, 0));
        Path b2 = TestFiles.write(dir, "data_batch_2.bin", TestFiles.cifar(l2, 1, 3));
        ImageDataset d = CifarReader.readCifar10("c10", null, List.of(b1, b2));
        assertEquals(5, d.size());
        assertEquals(3, d.channels());
        assertEquals(10, d.numClasses());
        assertArrayEquals(new int[]{0, 9, 4, 6, 1}, d.labels());
        assertPixels(d, 0);
    }

    @Test
    void cifar100UsesFineLabels() throws IOException {
        int[] fine = {99, 0, 57, 23};
        Path f = TestFiles.write(dir, "train.bin", TestFiles.cifar(fine, 2, 0));
        ImageDataset d = CifarReader.readCifar100("c100", null, List.of(f));
        assertEquals(100, d.numClasses());
        assertArrayEquals(fine, d.labels());
        assertPixels(d, 0);
        byte[] bad = TestFiles.cifar(fine, 2, 0);
        bad[1] = (byte) 100;
        Path g = TestFiles.write(dir, "bad.bin", bad);
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> CifarReader.readCifar100("c100", null, List.of(g)));
        assertTrue(e.getMessage().contains("bad.bin") && e.getMessage().contains("found 100"), e.getMessage());
    }

    @Test
    void svhnUncompressedAndCompressedWithLabelTenAsZero() throws IOException {
        int[] y = {10, 1, 5, 10, 9};
        int[] expected = {0, 1, 5, 0, 9};
        for (boolean compressed : new boolean[]{false, true}) {
            for (boolean yUint8 : new boolean[]{false, true}) {
                Path f = TestFiles.write(dir, "train_32x32.mat", TestFiles.svhnMat(y, compressed, yUint8));
                ImageDataset d = SvhnReader.read(f, "svhn", null);
                assertEquals(5, d.size(), "compressed=" + compressed);
                assertEquals(3, d.channels());
                assertEquals(32, d.height());
                assertArrayEquals(expected, d.labels(), "compressed=" + compressed + " yUint8=" + yUint8);
                assertPixels(d, 0);
            }
        }
    }

    @Test
    void matReaderReturnsRequestedVariablesAndSkipsOthers() throws IOException {
        byte[] other = TestFiles.matMatrix("longname", new int[]{1, 2}, 6, 9, TestFiles.doublesLE(new double[]{1.5,
                -2}));
        byte[] small = TestFiles.matMatrix("a", new int[]{2, 2}, 12, 5,
                new byte[]{1, 0, 0, 0, -1, -1, -1, -1, 3, 0, 0, 0, 4, 0, 0, 0});
        byte[] file = TestFiles.concat(TestFiles.matHeader(), TestFiles.matCompressed(other), small);
        Map<String, MatArray> vars = MatV5Reader.decode(file, "f.mat", Set.of("a", "longname"));
        assertEquals(Set.of("a", "longname"), vars.keySet());
        assertEquals(-2.0, vars.get("longname").getDouble(1));
        assertEquals(-1.0, vars.get("a").getDouble(1));
        assertEquals(4.0, vars.get("a").getDouble(3));
        assertArrayEquals(new int[]{2, 2}, vars.get("a").dims());
        assertEquals(Set.of("a"), MatV5Reader.decode(file, "f.mat", Set.of("a")).keySet());
    }

    @Test
    void matV73IsRejectedWithConversionHint() throws IOException {
        byte[] h = new byte[1024];
        byte[] text = "MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00".getBytes();
        System.arraycopy(text, 0, h, 0, text.length);
        h[512] = (byte) 0x89;
        h[513] = 'H';
        h[514] = 'D';
        h[515] = 'F';
        Path f = TestFiles.write(dir, "train_32x32.mat", h);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> SvhnReader.read(f, "s", null));
        assertTrue(e.getMessage().contains("train_32x32.mat") && e.getMessage().contains("v7.3")
                && e.getMessage().contains("savemat"), e.getMessage());
    }

    @Test
    void stl10TransposesColumnMajorPlanesAndShiftsLabels() throws IOException {
        Path x = TestFiles.write(dir, "train_X.bin", TestFiles.stlImages(3));
        Path y = TestFiles.write(dir, "train_y.bin", new byte[]{1, 10, 4});
        ImageDataset d = Stl10Reader.read(x, y, "stl", null);
        assertEquals(3, d.size());
        assertEquals(96, d.height());
        assertArrayEquals(new int[]{0, 9, 3}, d.labels());
        assertPixels(d, 0);
        Files.write(y, new byte[]{1, 11, 4});
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> Stl10Reader.read(x, y, "s", null));
        assertTrue(e.getMessage().contains("train_y.bin") && e.getMessage().contains("found 11"), e.getMessage());
    }

    @Test
    void subsetsFirstAndSeededRandom() throws IOException {
        int[] labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        ImageDataset d = IdxReader.decode(TestFiles.idxImages(10, 2, 2), "i", TestFiles.idxLabels(labels), "l", "d",
                10, null);
        assertArrayEquals(new int[]{0, 1, 2}, d.subset(3).labels());
        ImageDataset r1 = d.subset(4, 7L);
        ImageDataset r2 = d.subset(4, 7L);
        assertArrayEquals(r1.labels(), r2.labels());
        assertEquals(4, r1.size());
        for (int i = 0; i < 4; i++) {
            int src = r1.labels()[i]; // label == original index here
            for (int k = 0; k < 4; k++) {
                assertEquals(d.pixel(src, 0, k / 2, k % 2), r1.pixel(i, 0, k / 2, k % 2));
            }
        }
        assertTrue(java.util.stream.IntStream.of(r1.labels()).distinct().count() == 4);
    }
}
