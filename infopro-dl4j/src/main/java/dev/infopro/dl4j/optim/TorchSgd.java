package dev.infopro.dl4j.optim;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * PyTorch's {@code torch.optim.SGD} (dampening 0, no weight decay) as a DL4J updater configuration.
 *
 * <p>Per parameter element, with gradient {@code g} and momentum buffer {@code buf}:
 * <pre>
 *   buf    = momentum * buf + g
 *   update = lr * (g + momentum * buf)   if nesterov
 *   update = lr * buf                    otherwise
 * </pre>
 * DL4J subtracts {@code update} from the parameters. Unlike DL4J's {@code Nesterovs}, the buffer is not scaled by
 * the learning rate, so a learning-rate change between steps acts exactly as in PyTorch.
 *
 * <p><b>First step.</b> PyTorch sets {@code buf = g} on the first step. Here the buffer starts at zero and the rule
 * {@code buf = momentum * 0 + g} is applied; in IEEE arithmetic {@code momentum * 0 = 0} and {@code 0 + g = g}
 * exactly (finite momentum and g; only the sign of a zero gradient can differ, which never changes a parameter), so
 * the zero-initialised buffer reproduces PyTorch's rule without a "first step" flag. The state is therefore just
 * the buffer ({@link #stateSize} = number of parameters) and it survives saving and restoring a model with its
 * updater state: a resumed run continues exactly where it stopped.
 *
 * <p>Weight decay is not part of this updater: PyTorch adds {@code wd * p} to the gradient before the momentum
 * step; use {@link CoupledWeightDecay#apply} on the gradient first.
 *
 * <p>The learning rate is either fixed or an {@link ISchedule} evaluated at DL4J's (iteration, epoch).
 */
public class TorchSgd implements IUpdater {

    /** Key of the momentum buffer in {@link GradientUpdater#getState()}. */
    public static final String STATE_MOMENTUM_BUFFER = "V";

    private double learningRate;
    private ISchedule learningRateSchedule;
    private double momentum;
    private boolean nesterov;

    /**
     * @param learningRate         fixed learning rate; ignored when {@code learningRateSchedule} is non-null
     * @param learningRateSchedule learning-rate schedule, or {@code null} for the fixed rate
     * @param momentum             momentum factor in [0, 1)
     * @param nesterov             PyTorch's Nesterov form; requires {@code momentum > 0} as in PyTorch
     */
    @JsonCreator
    public TorchSgd(@JsonProperty("learningRate") double learningRate,
                    @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                    @JsonProperty("momentum") double momentum,
                    @JsonProperty("nesterov") boolean nesterov) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 (as in PyTorch)");
        }
        if (learningRateSchedule == null && !(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + learningRate);
        }
        this.learningRate = learningRate;
        this.learningRateSchedule = learningRateSchedule;
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    /** Fixed learning rate with the paper's momentum 0.9 and Nesterov. */
    public TorchSgd(double learningRate) {
        this(learningRate, null, 0.9, true);
    }

    /** Scheduled learning rate with the paper's momentum 0.9 and Nesterov. */
    public TorchSgd(ISchedule learningRateSchedule) {
        this(Double.NaN, Objects.requireNonNull(learningRateSchedule, "learningRateSchedule"), 0.9, true);
    }

    /** @return a builder with momentum 0.9, Nesterov on and no learning rate set yet */
    public static Builder builder() {
        return new Builder();
    }

    /** The fixed learning rate (NaN when a schedule is used and no fixed rate was given). */
    public double getLearningRate() {
        return learningRate;
    }

    /** The learning-rate schedule, or {@code null} when the rate is fixed. */
    public ISchedule getLearningRateSchedule() {
        return learningRateSchedule;
    }

    /** The momentum factor. */
    public double getMomentum() {
        return momentum;
    }

    /** Whether PyTorch's Nesterov form is used. */
    public boolean isNesterov() {
        return nesterov;
    }

    @Override
    public long stateSize(long numParams) {
        return numParams;
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        TorchSgdUpdater u = new TorchSgdUpdater(this);
        long[] shape = viewArray.shape();
        u.setStateViewArray(viewArray, shape, viewArray.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        TorchSgdUpdater u = new TorchSgdUpdater(this);
        u.setState(updaterState, initializeStateArrays);
        return u;
    }

    @Override
    public TorchSgd clone() {
        return new TorchSgd(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone(),
                momentum, nesterov);
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        // Called by DL4J when a layer-level or global learning rate overrides the updater's own.
        this.learningRate = lr;
        this.learningRateSchedule = lrSchedule;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TorchSgd)) {
            return false;
        }
        TorchSgd t = (TorchSgd) o;
        // Double.compare so that two schedule-only configs (NaN fixed rate) are equal: DL4J groups layers into
        // one updater block only when their configurations are equal.
        return Double.compare(learningRate, t.learningRate) == 0 && Double.compare(momentum, t.momentum) == 0
                && nesterov == t.nesterov && Objects.equals(learningRateSchedule, t.learningRateSchedule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, learningRateSchedule, momentum, nesterov);
    }

    @Override
    public String toString() {
        return "TorchSgd(learningRate=" + learningRate + ", learningRateSchedule=" + learningRateSchedule
                + ", momentum=" + momentum + ", nesterov=" + nesterov + ")";
    }

    /** Builder for {@link TorchSgd}; defaults: momentum 0.9, Nesterov on. */
    public static final class Builder {
        private double learningRate = Double.NaN;
        private ISchedule learningRateSchedule;
        private double momentum = 0.9;
        private boolean nesterov = true;

        private Builder() {
        }

        /** Fixed learning rate. */
        public Builder learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** Learning-rate schedule; takes precedence over a fixed rate. */
        public Builder learningRateSchedule(ISchedule schedule) {
            this.learningRateSchedule = schedule;
            return this;
        }

        /** Momentum factor in [0, 1). */
        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /** PyTorch's Nesterov form on or off. */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        /** @return the configuration; fails if neither a rate nor a schedule was set */
        public TorchSgd build() {
            if (learningRateSchedule == null && Double.isNaN(learningRate)) {
                throw new IllegalStateException("TorchSgd needs a learningRate or a learningRateSchedule");
            }
            return new TorchSgd(learningRate, learningRateSchedule, momentum, nesterov);
        }
    }

    /** Map form of an updater state with one buffer, for {@link GradientUpdater#getState()}. */
    static Map<String, INDArray> stateMap(INDArray buffer) {
        return Collections.singletonMap(STATE_MOMENTUM_BUFFER, buffer);
    }
}
