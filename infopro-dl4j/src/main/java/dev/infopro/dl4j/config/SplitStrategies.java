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
}
