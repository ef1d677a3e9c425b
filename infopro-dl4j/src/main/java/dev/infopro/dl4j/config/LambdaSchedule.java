package dev.infopro.dl4j.config;

import lombok.AccessLevel;
import lombok.EqualsAndHashCode;
import lombok.NoArgsConstructor;
import lombok.ToString;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The loss weights (lambda1 on reconstruction, lambda2 on the class/contrast head) of each local module.
 *
 * <p>{@link #linear} reproduces docs/method.md §1.4: for local module i (0-based, i = 0..K-2), r = i/(K-2) (r = 0 when K = 2),
 * lambda1 = ixx1(1-r) + ixx2 r, lambda2 = ixy1(1-r) + ixy2 r. {@link #explicit} gives one pair per local module.
 */
@EqualsAndHashCode
@ToString
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public final class LambdaSchedule implements Serializable {

    private final double[] ends;      // ixx1, ixy1, ixx2, ixy2 for LINEAR; null for EXPLICIT
    private final double[][] perModule; // [i] = {lambda1, lambda2}; null for LINEAR

    private LambdaSchedule(double[] ends, double[][] perModule) {
        this.ends = ends;
        this.perModule = perModule;
    }

    /**
     * The reference code's schedule (docs/method.md §1.4).
     *
     * @param ixx1 lambda1 of local module 1
     * @param ixy1 lambda2 of local module 1
     * @param ixx2 lambda1 of local module K-1
     * @param ixy2 lambda2 of local module K-1
     */
    public static LambdaSchedule linear(double ixx1, double ixy1, double ixx2, double ixy2) {
        double[] e = {ixx1, ixy1, ixx2, ixy2};
        for (double v : e) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("Lambdas must be finite and >= 0, got " + Arrays.toString(e));
            }
        }
        return new LambdaSchedule(e, null);
    }

    /**
     * The reference's default lambdas for K modules, which {@link #defaultFor} uses whenever an InfoPro method is
     * given no {@code lambdas(...)}: the reference's CIFAR-10 ResNet-32 rows (docs/method.md §1.4) for K = 2 ({@code linear(5, 1, 0, 0)}), K = 4
     * ({@code linear(6, 0, 1, 2)}), K = 8 ({@code linear(5, 0, 0, 2)}) and K = 16 ({@code linear(5, 0.05, 0.2,
     * 0.5)}). <b>Rule for any other K</b>, for which the reference publishes nothing: the K = 4 row,
     * {@code linear(6, 0, 1, 2)}, interpolated linearly over that K's local modules (so the first local module is
     * reconstruction only, (6, 0), and the last is (1, 2), as in the reference's deeper rows). The values were tuned for ResNet-32 on CIFAR-10, so on
     * other networks and data they are a starting point, not a tuned choice.
     *
     * @param k the number of modules, at least 2
     * @throws IllegalArgumentException when {@code k < 2}
     */
    public static LambdaSchedule referenceDefault(int k) {
        if (k < 2) {
            throw new IllegalArgumentException("Lambdas are for K >= 2 modules, got K = " + k);
        }
        switch (k) {
            case 2:
                return linear(5, 1, 0, 0);
            case 8:
                return linear(5, 0, 0, 2);
            case 16:
                return linear(5, 0.05, 0.2, 0.5);
            default:
                return linear(6, 0, 1, 2);
        }
    }

    /**
     * The library's default lambdas, the one place the library and the tool take them from when an InfoPro method is
     * given no {@code lambdas(...)}: {@link
     * #referenceDefault(int)}, except that the pair of a local module without a batch-norm layer is scaled to sum
     * to 1 (same ratio). Why (docs/method.md §1.4): the lambdas multiply the module's gradient, and without batch
     * norm nothing absorbs that factor, so the reference's lambda1 = 5 or 6 acts as a five- to six-fold learning
     * rate on top of local losses whose gradients are already larger than a classifier's. On a LeNet without batch
     * norm that sent InfoPro to chance accuracy, below Greedy SL, at several cuts (docs/benchmarks/no-batch-norm.md). Weights that
     * feed a batch norm are scale-invariant, their norm grows until the step is back in range, so the reference's
     * values, tuned on ResNets, are kept there.
     *
     * @param k                      the number of modules, at least 2
     * @param localModuleHasBatchNorm for each of the K-1 local modules, whether its backbone holds a batch-norm layer
     * @throws IllegalArgumentException when {@code k < 2} or the array does not have K-1 entries
     */
    public static LambdaSchedule defaultFor(int k, boolean[] localModuleHasBatchNorm) {
        LambdaSchedule reference = referenceDefault(k);
        if (localModuleHasBatchNorm == null || localModuleHasBatchNorm.length != k - 1) {
            throw new IllegalArgumentException("Need one batch-norm flag per local module (K-1 = " + (k - 1) + "), got "
                    + (localModuleHasBatchNorm == null ? "none" : localModuleHasBatchNorm.length));
        }
        boolean allNormalised = true;
        double[][] pairs = new double[k - 1][];
        for (int i = 0; i < k - 1; i++) {
            pairs[i] = reference.lambdas(i, k - 1);
            double sum = pairs[i][0] + pairs[i][1];
            if (!localModuleHasBatchNorm[i] && sum > 0) {
                pairs[i] = new double[]{pairs[i][0] / sum, pairs[i][1] / sum};
                allNormalised = false;
            }
        }
        return allNormalised ? reference : explicit(pairs);
    }

    /**
     * Explicit lambdas, one {lambda1, lambda2} pair per local module (K-1 pairs).
     *
     * @param pairs {@code pairs[i] = {lambda1, lambda2}} of local module i (0-based)
     */
    public static LambdaSchedule explicit(double[]... pairs) {
        if (pairs == null || pairs.length == 0) {
            throw new IllegalArgumentException("explicit() needs one {lambda1, lambda2} pair per local module");
        }
        double[][] copy = new double[pairs.length][];
        for (int i = 0; i < pairs.length; i++) {
            if (pairs[i] == null || pairs[i].length != 2) {
                throw new IllegalArgumentException("Lambda pair " + i + " must be {lambda1, lambda2}, got "
                        + Arrays.toString(pairs[i]));
            }
            for (double v : pairs[i]) {
                if (!(v >= 0) || Double.isInfinite(v)) {
                    throw new IllegalArgumentException("Lambdas must be finite and >= 0, pair " + i + " is "
                            + Arrays.toString(pairs[i]));
                }
            }
            copy[i] = pairs[i].clone();
        }
        return new LambdaSchedule(null, copy);
    }

    /**
     * The lambdas of one local module.
     *
     * @param localIndex 0-based index of the local module, 0..numLocal-1
     * @param numLocal   number of local modules (K-1)
     * @return {lambda1 (reconstruction), lambda2 (classifier / contrast)}
     */
    public double[] lambdas(int localIndex, int numLocal) {
        if (localIndex < 0 || localIndex >= numLocal) {
            throw new IllegalArgumentException("Local module index " + localIndex + " outside 0.." + (numLocal - 1));
        }
        if (perModule != null) {
            if (perModule.length != numLocal) {
                throw new IllegalArgumentException("The explicit lambda schedule has " + perModule.length
                        + " pairs but the network has " + numLocal + " local modules (K-1); give one pair per local module");
            }
            return perModule[localIndex].clone();
        }
        double r = numLocal == 1 ? 0.0 : (double) localIndex / (numLocal - 1);
        return new double[]{ends[0] * (1 - r) + ends[2] * r, ends[1] * (1 - r) + ends[3] * r};
    }
}
