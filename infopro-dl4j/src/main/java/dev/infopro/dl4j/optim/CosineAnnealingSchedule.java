package dev.infopro.dl4j.optim;

import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.ToString;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Cosine annealing set once per epoch, as PyTorch's {@code CosineAnnealingLR(T_max = E, eta_min = 0)} stepped per
 * epoch: {@code lr = 0.5 * lr0 * (1 + cos(pi * epoch / E))} with DL4J's 0-based epoch. The first epoch runs at lr0
 * and no epoch of the run sits at lr 0, which suits short runs; the paper's schedule ({@link CosineWarmupSchedule})
 * spends its last epoch at lr 0. Epochs past E keep the last value.
 */
@Getter
@EqualsAndHashCode
@ToString
public class CosineAnnealingSchedule implements ISchedule {
    private final double initialLr;
    private final int totalEpochs;

    /**
     * @param initialLr   learning rate at epoch 0, finite and {@code >= 0}
     * @param totalEpochs E, the epochs the schedule spans, {@code >= 1}
     */
    @JsonCreator
    public CosineAnnealingSchedule(@JsonProperty("initialLr") double initialLr,
                                   @JsonProperty("totalEpochs") int totalEpochs) {
        if (totalEpochs < 1) {
            throw new IllegalArgumentException("totalEpochs must be >= 1, got " + totalEpochs);
        }
        if (!(initialLr >= 0) || Double.isInfinite(initialLr)) {
            throw new IllegalArgumentException("initialLr must be finite and >= 0, got " + initialLr);
        }
        this.initialLr = initialLr;
        this.totalEpochs = totalEpochs;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        int e = Math.min(Math.max(epoch, 0), totalEpochs - 1);
        return 0.5 * initialLr * (1 + Math.cos(Math.PI * e / totalEpochs));
    }

    @Override
    public CosineAnnealingSchedule clone() {
        return new CosineAnnealingSchedule(initialLr, totalEpochs);
    }
}
