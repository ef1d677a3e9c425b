package dev.infopro.dl4j.config;

/** Brute-force min-max partitions, to check the balanced split strategies against. */
public final class MinMaxPartitions {
    private MinMaxPartitions() {
    }

    /** Largest module cost of a cut choice (cut indices into the valid cuts). */
    public static double maxCost(double[] seg, double[] cut, int[] cuts) {
        double max = 0;
        int start = 0;
        for (int j = 0; j <= cuts.length; j++) {
            int end = j < cuts.length ? cuts[j] : seg.length - 1; // last segment index of this module
            double c = 0;
            for (int s = start; s <= end; s++) {
                c += seg[s];
            }
            if (j < cuts.length) {
                c += cut[end];
            }
            max = Math.max(max, c);
            start = end + 1;
        }
        return max;
    }

    public static double bruteForce(double[] seg, double[] cut, int k) {
        int n = cut.length;
        double best = Double.POSITIVE_INFINITY;
        for (int mask = 0; mask < (1 << n); mask++) {
            if (Integer.bitCount(mask) != k - 1) {
                continue;
            }
            int[] cuts = new int[k - 1];
            int j = 0;
            for (int i = 0; i < n; i++) {
                if ((mask & (1 << i)) != 0) {
                    cuts[j++] = i;
                }
            }
            best = Math.min(best, maxCost(seg, cut, cuts));
        }
        return best;
    }
}
