package dev.infopro.dl4j.optim;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.ToString;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The InfoPro per-epoch cosine learning-rate schedule with linear warm-up (docs/method.md §3, {@code --cos_lr}).
 *
 * <p>With the 1-based epoch {@code e}, {@code E} total epochs and {@code W} warm-up epochs:
 * <pre>
 *   e &lt;= W:  lr = 0.5*lr0*(1 + cos(pi*e/E)) * (e-1)/W + warmupStartLr * (W+1-e)/W
 *   e &gt;  W:  lr = 0.5*lr0*(1 + cos(pi*e/E))
 * </pre>
 * The paper uses {@code W = 10} and {@code warmupStartLr = 0.01}; {@code W = 0} gives the plain cosine.
 *
 * <p><b>Epoch numbering.</b> This is an epoch schedule: {@link #valueAt} ignores the iteration. DL4J counts epochs
 * from 0 while the formula's {@code e} starts at 1, so {@code e = epoch + 1}: DL4J epoch 0 runs at lr = 0.01 and the
 * last epoch ({@code E - 1}) at lr = 0, as in the reference code. Epochs beyond the schedule are held at
 * {@code e = E} (lr 0) rather than letting the cosine rise again.
 */
@Getter
@EqualsAndHashCode
@ToString
public class CosineWarmupSchedule implements ISchedule {

    /** The paper's learning rate at the first warm-up epoch. */
    public static final double PAPER_WARMUP_START_LR = 0.01;

    private final double initialLr;
    private final int totalEpochs;
    private final int warmupEpochs;
    private final double warmupStartLr;

    /**
     * @param initialLr     base learning rate lr0
     * @param totalEpochs   number of epochs E (&gt;= 1)
     * @param warmupEpochs  warm-up epochs W, 0 &lt;= W &lt;= E (0 = plain cosine)
     * @param warmupStartLr learning rate of the first epoch when W &gt; 0 (the paper's 0.01)
     */
    @JsonCreator
    public CosineWarmupSchedule(@JsonProperty("initialLr") double initialLr,
                                @JsonProperty("totalEpochs") int totalEpochs,
                                @JsonProperty("warmupEpochs") int warmupEpochs,
                                @JsonProperty("warmupStartLr") double warmupStartLr) {
        if (totalEpochs < 1) {
            throw new IllegalArgumentException("totalEpochs must be >= 1, got " + totalEpochs);
        }
        if (warmupEpochs < 0 || warmupEpochs > totalEpochs) {
            throw new IllegalArgumentException("warmupEpochs must be in [0, totalEpochs], got " + warmupEpochs);
        }
        if (!(initialLr >= 0) || Double.isInfinite(initialLr) || !(warmupStartLr >= 0)
                || Double.isInfinite(warmupStartLr)) {
            throw new IllegalArgumentException("learning rates must be finite and >= 0");
        }
        this.initialLr = initialLr;
        this.totalEpochs = totalEpochs;
        this.warmupEpochs = warmupEpochs;
        this.warmupStartLr = warmupStartLr;
    }

    /** The paper's schedule: warm-up starting at {@link #PAPER_WARMUP_START_LR}. */
    public CosineWarmupSchedule(double initialLr, int totalEpochs, int warmupEpochs) {
        this(initialLr, totalEpochs, warmupEpochs, PAPER_WARMUP_START_LR);
    }

    /**
     * Learning rate of the 1-based epoch {@code e} of the formula above.
     *
     * @param e 1-based epoch; values above E are held at E
     * @return the learning rate
     */
    public double lrAtEpoch1Based(int e) {
        if (e < 1) {
            throw new IllegalArgumentException("1-based epoch must be >= 1, got " + e);
        }
        int ee = Math.min(e, totalEpochs);
        double cosine = 0.5 * initialLr * (1 + Math.cos(Math.PI * ee / totalEpochs));
        if (ee <= warmupEpochs) {
            return cosine * (ee - 1) / warmupEpochs + warmupStartLr * (warmupEpochs + 1 - ee) / warmupEpochs;
        }
        return cosine;
    }

    /** @param epoch DL4J's 0-based epoch; the formula's e is {@code epoch + 1} */
    @Override
    public double valueAt(int iteration, int epoch) {
        return lrAtEpoch1Based(epoch + 1);
    }

    @Override
    public CosineWarmupSchedule clone() {
        return new CosineWarmupSchedule(initialLr, totalEpochs, warmupEpochs, warmupStartLr);
    }
}
