package dev.infopro.dl4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

class ImageDataSetIteratorTest {

    /** n single-channel 4x4 images; image i has all pixels = i*10 except pixel (r,c) of image 0 = r*4+c. */
    private static ImageDataset tagged(int n, int channels) {
        byte[] px = new byte[n * channels * 16];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            Arrays.fill(px, i * channels * 16, (i + 1) * channels * 16, (byte) (i * 10));
        }
        return new ImageDataset("tagged", px, labels, 3, channels, 4, 4, null);
    }

    /** One 4x4 image with pixel (r, c) = r*4 + c. */
    private static ImageDataset ramp() {
        byte[] px = new byte[16];
        for (int i = 0; i < 16; i++) {
            px[i] = (byte) i;
        }
        return new ImageDataset("ramp", px, new int[]{0}, 1, 1, 4, 4, null);
    }

    /** Sample ids in the order the iterator returns them (pixel value / 10 with plain [0,1] scaling). */
    private static List<Integer> epochIds(ImageDataSetIterator it) {
        List<Integer> ids = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            float[] f = ds.getFeatures().data().asFloat();
            int per = (int) (ds.getFeatures().length() / ds.numExamples());
            for (int k = 0; k < ds.numExamples(); k++) {
                ids.add(Math.round(f[k * per] * 255f) / 10);
            }
        }
        return ids;
    }

    private static ImageDataSetIterator plain(ImageDataset d, int batch, long seed, int prefetch) {
        return ImageDataSetIterator.builder().dataset(d).batchSize(batch).seed(seed).prefetch(prefetch).build();
    }

    @Test
    void sameSeedSameOrderDifferentEpochDifferentOrderEverySampleOnce() {
        ImageDataset d = tagged(23, 1);
        try (ImageDataSetIterator a = plain(d, 5, 11, 2); ImageDataSetIterator b = plain(d, 5, 11, 0)) {
            List<Integer> e0 = epochIds(a);
            assertEquals(e0, epochIds(b), "prefetching and synchronous iterators agree");
            a.reset();
            b.reset();
            List<Integer> e1 = epochIds(a);
            assertEquals(e1, epochIds(b));
            assertEquals(1, a.getEpoch());
            assertNotEquals(e0, e1, "epochs are shuffled differently");
            for (List<Integer> e : List.of(e0, e1)) {
                List<Integer> sorted = new ArrayList<>(e);
                sorted.sort(null);
                List<Integer> all = new ArrayList<>();
                for (int i = 0; i < 23; i++) {
                    all.add(i);
                }
                assertEquals(all, sorted, "every sample exactly once");
            }
        }
        try (ImageDataSetIterator c = plain(d, 5, 12, 2)) {
            assertNotEquals(epochIdsOf(d, 11), epochIds(c), "different seed, different order");
        }
    }

    private static List<Integer> epochIdsOf(ImageDataset d, long seed) {
        try (ImageDataSetIterator it = plain(d, 5, seed, 0)) {
            return epochIds(it);
        }
    }

    @Test
    void batchesKeepLastPartialAndLabelsAreOneHot() {
        ImageDataset d = tagged(10, 1);
        try (ImageDataSetIterator it = plain(d, 4, 1, 3)) {
            int[] sizes = new int[3];
            for (int k = 0; k < 3; k++) {
                DataSet ds = it.next();
                sizes[k] = ds.numExamples();
                assertArrayEquals(new long[]{sizes[k], 1, 4, 4}, ds.getFeatures().shape());
                float[] f = ds.getFeatures().data().asFloat();
                float[] y = ds.getLabels().data().asFloat();
                for (int j = 0; j < sizes[k]; j++) {
                    int id = Math.round(f[j * 16] * 255f) / 10;
                    for (int c = 0; c < 3; c++) {
                        assertEquals(c == id % 3 ? 1f : 0f, y[j * 3 + c]);
                    }
                }
            }
            assertArrayEquals(new int[]{4, 4, 2}, sizes);
            assertFalse(it.hasNext());
            assertThrows(NoSuchElementException.class, it::next);
            assertEquals(3, it.batchesPerEpoch());
            assertEquals(16, it.inputColumns());
            assertEquals(3, it.totalOutcomes());
            assertEquals(List.of("0", "1", "2"), it.getLabels());
            assertFalse(it.asyncSupported());
            assertTrue(it.resetSupported());
        }
    }

    @Test
    void normalisationValuesAreExactAndInvertible() {
        ImageDataset d = tagged(3, 2);
        Normalization n = new Normalization(new float[]{0.2f, 0.7f}, new float[]{0.3f, 0.05f});
        try (ImageDataSetIterator it = ImageDataSetIterator.builder().dataset(d).batchSize(3).shuffle(false)
                .normalization(n).build()) {
            float[] f = it.next().getFeatures().data().asFloat();
            for (int i = 0; i < 3; i++) {
                for (int c = 0; c < 2; c++) {
                    for (int p = 0; p < 16; p++) {
                        float v = f[(i * 2 + c) * 16 + p];
                        float expected = ((i * 10) / 255f - (c == 0 ? 0.2f : 0.7f)) / (c == 0 ? 0.3f : 0.05f);
                        assertEquals(expected, v, 0f);
                        float x01 = v * it.getNormalization().std()[c] + it.getNormalization().mean()[c];
                        assertEquals(i * 10 / 255f, x01, 1e-6f);
                    }
                }
            }
        }
    }

    /** Finds a (seed, epoch 0, position 0) whose augmentation parameters are the wanted ones. */
    private static long seedFor(Augmentation aug, int dy, int dx, int flip) {
        for (long s = 0; s < 100_000; s++) {
            int[] p = BatchMaker.augmentationParams(aug, s, 0, 0);
            if (p[0] == dy && p[1] == dx && p[2] == flip) {
                return s;
            }
        }
        throw new AssertionError("no seed found");
    }

    private static float[] firstImage(Augmentation aug, long seed) {
        try (ImageDataSetIterator it = ImageDataSetIterator.builder().dataset(ramp()).batchSize(1).seed(seed)
                .augmentation(aug).build()) {
            float[] f = it.next().getFeatures().data().asFloat();
            float[] v = new float[16];
            for (int i = 0; i < 16; i++) {
                v[i] = Math.round(f[i] * 255f);
            }
            return v;
        }
    }

    @Test
    void reflectPadCropAndFlipMatchHandComputedExamples() {
        Augmentation aug = Augmentation.builder().cropPadding(2).padMode(Augmentation.PadMode.REFLECT)
                .horizontalFlip(true).build();
        // Top-left window of the reflect-padded ramp: rows 2,1,0,1 and columns 2,1,0,1.
        assertArrayEquals(new float[]{10, 9, 8, 9, 6, 5, 4, 5, 2, 1, 0, 1, 6, 5, 4, 5},
                firstImage(aug, seedFor(aug, -2, -2, 0)));
        // Bottom-right window: rows 2,3,2,1 and columns 2,3,2,1.
        assertArrayEquals(new float[]{10, 11, 10, 9, 14, 15, 14, 13, 10, 11, 10, 9, 6, 7, 6, 5},
                firstImage(aug, seedFor(aug, 2, 2, 0)));
        // Top-left window, then flipped horizontally.
        assertArrayEquals(new float[]{9, 8, 9, 10, 5, 4, 5, 6, 1, 0, 1, 2, 5, 4, 5, 6},
                firstImage(aug, seedFor(aug, -2, -2, 1)));
        // No shift, flip only.
        assertArrayEquals(new float[]{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12},
                firstImage(aug, seedFor(aug, 0, 0, 1)));
        Augmentation zero = Augmentation.builder().cropPadding(1).padMode(Augmentation.PadMode.ZERO).build();
        // Window shifted up one row and right one column: zero row on top, zero column on the right.
        assertArrayEquals(new float[]{0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0},
                firstImage(zero, seedFor(zero, -1, 1, 0)));
    }

    @Test
    void augmentationCoversAllOffsetsAndFlipsUniformly() {
        Augmentation aug = Datasets.cifarAugmentation();
        int[][] counts = new int[9][9];
        int flips = 0;
        for (int pos = 0; pos < 20_000; pos++) {
            int[] p = BatchMaker.augmentationParams(aug, 5, 3, pos);
            counts[p[0] + 4][p[1] + 4]++;
            flips += p[2];
        }
        for (int[] row : counts) {
            for (int c : row) {
                assertTrue(c > 150 && c < 350, "offset frequency " + c + " of expected 247");
            }
        }
        assertTrue(flips > 9_500 && flips < 10_500, "flips " + flips);
        int[] none = BatchMaker.augmentationParams(Datasets.svhnAugmentation(), 5, 3, 1);
        assertTrue(Math.abs(none[0]) <= 2 && Math.abs(none[1]) <= 2 && none[2] == 0);
    }

    @Test
    void stateRestoreResumesTheExactSequence() {
        ImageDataset d = tagged(17, 1);
        Augmentation aug = Augmentation.builder().cropPadding(1).padMode(Augmentation.PadMode.REFLECT)
                .horizontalFlip(true).build();
        List<float[]> reference = new ArrayList<>();
        IteratorState saved = null;
        try (ImageDataSetIterator it = ImageDataSetIterator.builder().dataset(d).batchSize(4).seed(99)
                .augmentation(aug).build()) {
            for (int epoch = 0; epoch < 3; epoch++) {
                while (it.hasNext()) {
                    if (epoch == 1 && it.getState().getPosition() == 8) {
                        saved = it.getState();
                    }
                    float[] f = it.next().getFeatures().data().asFloat();
                    if (saved != null) {
                        reference.add(f);
                    }
                }
                it.reset();
            }
        }
        assertNotNull(saved);
        assertEquals(new IteratorState(99, 1, 8), saved);
        try (ImageDataSetIterator resumed = ImageDataSetIterator.builder().dataset(d).batchSize(4).seed(1)
                .augmentation(aug).build()) {
            resumed.next(); // state before restore must not matter
            resumed.restoreState(saved);
            List<float[]> got = new ArrayList<>();
            for (int epoch = 1; epoch < 3; epoch++) {
                while (resumed.hasNext()) {
                    got.add(resumed.next().getFeatures().data().asFloat());
                }
                resumed.reset();
            }
            assertEquals(reference.size(), got.size());
            for (int i = 0; i < got.size(); i++) {
                assertArrayEquals(reference.get(i), got.get(i), "batch " + i);
            }
        }
    }

    @Test
    void resetAtStartDoesNotSkipAnEpochAndNextWithSizeWorks() {
        ImageDataset d = tagged(9, 1);
        try (ImageDataSetIterator it = plain(d, 4, 3, 2)) {
            it.reset();
            assertEquals(0, it.getEpoch());
            DataSet two = it.next(2);
            assertEquals(2, two.numExamples());
            assertEquals(4, it.next().numExamples());
            assertEquals(3, it.next().numExamples());
            assertFalse(it.hasNext());
            List<Integer> order0 = epochIdsOf(d, 3);
            it.setEpoch(0);
            assertEquals(order0, epochIds(it));
        }
    }

    @Test
    void prefetchThreadTerminatesOnCloseResetAndEpochEnd() throws InterruptedException {
        ImageDataset d = tagged(50, 1);
        ImageDataSetIterator it = plain(d, 2, 1, 2);
        it.next();
        Thread t = it.prefetchThread();
        assertNotNull(t);
        assertTrue(t.isDaemon());
        it.close(); // consumer stops early with a full queue
        t.join(5000);
        assertFalse(t.isAlive(), "closed prefetch thread must end");

        it.next();
        Thread t2 = it.prefetchThread();
        it.reset();
        t2.join(5000);
        assertFalse(t2.isAlive(), "reset must end the prefetch thread");

        while (it.hasNext()) {
            it.next();
        }
        Thread t3 = it.prefetchThread();
        t3.join(5000);
        assertFalse(t3.isAlive(), "the thread ends by itself after the last batch of the epoch");
        it.close();
    }

    @Test
    void prefetchThreadEndsWhenTheIteratorIsGarbageCollected() throws InterruptedException {
        Thread t = startAndAbandon();
        for (int i = 0; i < 100 && t.isAlive(); i++) {
            System.gc();
            t.join(100);
        }
        assertFalse(t.isAlive(), "an abandoned iterator's prefetch thread must end once the iterator is collected");
    }

    /** Starts prefetching and drops the iterator with a full queue (kept in a method so no local stays live). */
    private static Thread startAndAbandon() {
        ImageDataSetIterator it = plain(tagged(50, 1), 2, 1, 2);
        it.next();
        return it.prefetchThread();
    }
}
