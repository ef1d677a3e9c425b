package dev.infopro.dl4j.data;

import java.util.SplittableRandom;

/**
 * Builds the batches of an {@link ImageDataSetIterator} from the uint8 pixels: augmentation (a pure function of seed,
 * epoch and position, so resumed runs see the same crops and flips) and normalisation through a lookup table.
 * Immutable, so the prefetch thread can use it; it references nothing of the iterator (see the iterator's Cleaner).
 */
final class BatchMaker {
    /** A built batch in primitive arrays. */
    static final class Batch {
        final int start;
        final int count;
        final float[] features;
        final float[] labels;

        Batch(int start, int count, float[] features, float[] labels) {
            this.start = start;
            this.count = count;
            this.features = features;
            this.labels = labels;
        }
    }

    private final ImageDataset data;
    private final Augmentation aug;
    private final float[][] lut;
    private final long seed;

    BatchMaker(ImageDataset data, Augmentation aug, float[][] lut, long seed) {
        this.data = data;
        this.aug = aug;
        this.lut = lut;
        this.seed = seed;
    }

    Batch make(int[] order, int epoch, int start, int count) {
        int c = data.channels();
        int h = data.height();
        int w = data.width();
        int plane = h * w;
        int is = c * plane;
        int k = data.numClasses();
        float[] x = new float[count * is];
        float[] y = new float[count * k];
        byte[] px = data.pixels();
        int[] lab = data.labels();
        boolean reflect = aug.getPadMode() == Augmentation.PadMode.REFLECT;
        int[] rowMap = new int[h];
        int[] colMap = new int[w];
        for (int b = 0; b < count; b++) {
            int idx = order[start + b];
            y[b * k + lab[idx]] = 1f;
            int[] p = augmentationParams(aug, seed, epoch, start + b);
            int dy = p[0];
            int dx = p[1];
            boolean flip = p[2] != 0;
            // Source row/column for each output row/column; -1 marks zero padding.
            for (int r = 0; r < h; r++) {
                rowMap[r] = source(r + dy, h, reflect);
            }
            for (int col = 0; col < w; col++) {
                int cc = flip ? w - 1 - col : col;
                colMap[col] = source(cc + dx, w, reflect);
            }
            int src = idx * is;
            int dst = b * is;
            for (int ch = 0; ch < c; ch++) {
                float[] t = lut[ch];
                int sp = src + ch * plane;
                int dp = dst + ch * plane;
                if (dy == 0 && dx == 0 && !flip) {
                    for (int i = 0; i < plane; i++) {
                        x[dp + i] = t[px[sp + i] & 0xff];
                    }
                    continue;
                }
                float zero = t[0];
                for (int r = 0; r < h; r++) {
                    int sr = rowMap[r];
                    int drow = dp + r * w;
                    if (sr < 0) {
                        for (int col = 0; col < w; col++) {
                            x[drow + col] = zero;
                        }
                        continue;
                    }
                    int srow = sp + sr * w;
                    for (int col = 0; col < w; col++) {
                        int sc = colMap[col];
                        x[drow + col] = sc < 0 ? zero : t[px[srow + sc] & 0xff];
                    }
                }
            }
        }
        return new Batch(start, count, x, y);
    }

    /**
     * The random augmentation of one sample: {dy, dx, flip}, where (dy, dx) is the crop window's offset from the
     * unpadded image, each in [-pad, pad] (torchvision's offset in [0, 2*pad] minus pad), and flip is 0 or 1.
     * A pure function of (seed, epoch, position in the epoch).
     */
    static int[] augmentationParams(Augmentation aug, long seed, int epoch, int position) {
        int[] p = new int[3];
        if (aug.isIdentity()) {
            return p;
        }
        SplittableRandom rnd = new SplittableRandom(ImageDataSetIterator.mix(seed, epoch, position));
        int pad = aug.getCropPadding();
        if (pad > 0) {
            p[0] = rnd.nextInt(2 * pad + 1) - pad;
            p[1] = rnd.nextInt(2 * pad + 1) - pad;
        }
        p[2] = aug.isHorizontalFlip() && rnd.nextBoolean() ? 1 : 0;
        return p;
    }

    /** Maps a padded-image coordinate (relative to the original) to a source index, or -1 for zero fill. */
    private static int source(int i, int n, boolean reflect) {
        if (i >= 0 && i < n) {
            return i;
        }
        if (!reflect) {
            return -1;
        }
        return i < 0 ? -i : 2 * (n - 1) - i;
    }
}
