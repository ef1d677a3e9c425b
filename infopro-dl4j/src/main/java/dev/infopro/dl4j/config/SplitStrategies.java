package dev.infopro.dl4j.config;

import java.util.Arrays;
import java.util.List;

/** Implementations of the built-in {@link SplitStrategy} constants. */
final class SplitStrategies {

    private SplitStrategies() {
    }

    /**
     * Chooses K-1 cuts minimising the sum of squared module costs (optimal by dynamic programming over the valid
     * cuts), which makes the modules as equal as the valid cuts allow.
     */
    static int[] equalDepth(List<String> validCuts, double[] segmentCost, int k) {
        int n = validCuts.size();
        if (k < 2) {
            throw new IllegalArgumentException("EQUAL_DEPTH needs K >= 2 modules, got " + k);
        }
        if (k - 1 > n) {
            throw new IllegalArgumentException("Cannot split into " + k + " modules: the graph has only " + n
                    + " valid cut vertices " + validCuts + " (K-1 = " + (k - 1) + " needed); use fewer modules");
        }
        if (segmentCost.length != n + 1) {
            throw new IllegalArgumentException("segmentCost must have validCuts.size()+1 entries");
        }
        double[] prefix = new double[n + 2]; // prefix[i] = cost of segments 0..i-1
        for (int i = 0; i <= n; i++) {
            prefix[i + 1] = prefix[i] + segmentCost[i];
        }
        // Module boundaries are segment indices b_0=0 < b_1 < ... < b_{k-1} < b_k = n+1 (cut j after segment b_j - 1).
        // dp[j][b] = minimal sum of squared module costs using j modules covering segments 0..b-1.
        int m = n + 1;
        double[][] dp = new double[k + 1][m + 1];
        int[][] arg = new int[k + 1][m + 1];
        for (double[] row : dp) {
            Arrays.fill(row, Double.POSITIVE_INFINITY);
        }
        dp[0][0] = 0;
        for (int j = 1; j <= k; j++) {
            for (int b = j; b <= m; b++) {
                for (int a = j - 1; a < b; a++) {
                    if (dp[j - 1][a] == Double.POSITIVE_INFINITY) {
                        continue;
                    }
                    double c = prefix[b] - prefix[a];
                    double v = dp[j - 1][a] + c * c;
                    if (v < dp[j][b] - 1e-12) {
                        dp[j][b] = v;
                        arg[j][b] = a;
                    }
                }
            }
        }
        int[] cuts = new int[k - 1];
        int b = m;
        for (int j = k; j >= 2; j--) {
            int a = arg[j][b];
            cuts[j - 2] = a - 1; // module j starts at segment a, so the cut is valid cut a-1
            b = a;
        }
        return cuts;
    }

    /** Module cost of segments a..b-1 (b = number of segments for the last module, which carries no heads). */
    static double moduleCost(double[] prefix, double[] cutCost, int a, int b, int numSegments) {
        double c = prefix[b] - prefix[a];
        return b < numSegments ? c + cutCost[b - 1] : c;
    }

    static void checkArguments(String name, List<String> validCuts, double[] segmentCost, double[] cutCost, int k) {
        int n = validCuts.size();
        if (k < 2) {
            throw new IllegalArgumentException(name + " needs K >= 2 modules, got " + k);
        }
        if (k - 1 > n) {
            throw new IllegalArgumentException("Cannot split into " + k + " modules: the graph has only " + n
                    + " valid cut vertices " + validCuts + " (K-1 = " + (k - 1) + " needed); use fewer modules");
        }
        if (segmentCost == null || segmentCost.length != n + 1) {
            throw new IllegalArgumentException("segmentCost must have validCuts.size()+1 = " + (n + 1) + " entries, got "
                    + (segmentCost == null ? "null" : segmentCost.length));
        }
        if (cutCost == null || cutCost.length != n) {
            throw new IllegalArgumentException("cutCost must have validCuts.size() = " + n + " entries, got "
                    + (cutCost == null ? "null" : cutCost.length));
        }
    }

    /** Min-max partition of the segments into K modules by a cost (InfoPro*, by memory or by compute). */
    static final class Balanced implements SplitStrategy {
        private final String name;
        private final Cost cost;

        Balanced(String name, Cost cost) {
            this.name = name;
            this.cost = cost;
        }

        @Override
        public int[] chooseCuts(List<String> validCuts, double[] segmentCost, int k) {
            return chooseCuts(validCuts, segmentCost, new double[validCuts.size()], k);
        }

        @Override
        public int[] chooseCuts(List<String> validCuts, double[] segmentCost, double[] cutCost, int k) {
            checkArguments(name, validCuts, segmentCost, cutCost, k);
            int m = validCuts.size() + 1;
            double[] prefix = new double[m + 1];
            for (int i = 0; i < m; i++) {
                prefix[i + 1] = prefix[i] + segmentCost[i];
            }
            // dp[j][b]: best (largest module cost, then sum of squares) with j modules covering segments 0..b-1.
            double[][] max = new double[k + 1][m + 1];
            double[][] sq = new double[k + 1][m + 1];
            int[][] arg = new int[k + 1][m + 1];
            for (int j = 0; j <= k; j++) {
                Arrays.fill(max[j], Double.POSITIVE_INFINITY);
                Arrays.fill(sq[j], Double.POSITIVE_INFINITY);
            }
            max[0][0] = 0;
            sq[0][0] = 0;
            for (int j = 1; j <= k; j++) {
                // the last module (j == k) must end at segment m; earlier ones must leave room for the rest
                int bFrom = j == k ? m : j;
                int bTo = j == k ? m : m - (k - j);
                for (int b = bFrom; b <= bTo; b++) {
                    for (int a = j - 1; a < b; a++) {
                        if (max[j - 1][a] == Double.POSITIVE_INFINITY) {
                            continue;
                        }
                        double c = moduleCost(prefix, cutCost, a, b, m);
                        double mx = Math.max(max[j - 1][a], c);
                        double s2 = sq[j - 1][a] + c * c;
                        double tol = 1e-9 * Math.max(1.0, Math.abs(mx));
                        if (mx < max[j][b] - tol || (Math.abs(mx - max[j][b]) <= tol && s2 < sq[j][b])) {
                            max[j][b] = mx;
                            sq[j][b] = s2;
                            arg[j][b] = a;
                        }
                    }
                }
            }
            int[] cuts = new int[k - 1];
            int b = m;
            for (int j = k; j >= 2; j--) {
                int a = arg[j][b];
                cuts[j - 2] = a - 1;
                b = a;
            }
            return cuts;
        }

        @Override
        public Cost cost() {
            return cost;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
