package dev.infopro.dl4j.optim;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * The stateful half of {@link TorchSgd}: holds the momentum buffer (a view into DL4J's updater state array) and
 * turns a gradient into the update in place. See {@link TorchSgd} for the rule.
 */
public class TorchSgdUpdater implements GradientUpdater<TorchSgd> {

    private final TorchSgd config;
    private INDArray buffer;

    /** @param config the configuration whose learning rate and momentum are used */
    public TorchSgdUpdater(TorchSgd config) {
        this.config = config;
    }

    @Override
    public TorchSgd getConfig() {
        return config;
    }

    /** The momentum buffer, shaped like the gradient; {@code null} before the state is set. */
    public INDArray getBuffer() {
        return buffer;
    }

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        INDArray b = stateMap == null ? null : stateMap.get(TorchSgd.STATE_MOMENTUM_BUFFER);
        if (b == null || stateMap.size() != 1) {
            throw new IllegalStateException("TorchSgd state must hold exactly the key \""
                    + TorchSgd.STATE_MOMENTUM_BUFFER + "\", got " + (stateMap == null ? null : stateMap.keySet()));
        }
        if (initialize) {
            b.assign(0);
        }
        this.buffer = b;
    }

    @Override
    public Map<String, INDArray> getState() {
        return TorchSgd.stateMap(buffer);
    }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (initialize) {
            // Zero is the "no step yet" state: momentum * 0 + g == g reproduces PyTorch's buf = g exactly.
            viewArray.assign(0);
        }
        // DL4J hands a flat row view; reshape without copying so that in-place updates write the state.
        INDArray shaped = Shape.newShapeNoCopy(viewArray, gradientShape, gradientOrder == 'f');
        if (shaped == null) {
            throw new IllegalStateException("Could not reshape the updater state view to the gradient shape");
        }
        this.buffer = shaped;
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (buffer == null) {
            throw new IllegalStateException("Updater has not been initialised with a state view");
        }
        double lr = config.getLearningRate(iteration, epoch);
        double m = config.getMomentum();
        // buf = m * buf + g   (in place in the state view)
        buffer.muli(m).addi(gradient);
        if (config.isNesterov()) {
            // update = lr * (g + m * buf)
            gradient.addi(buffer.mul(m)).muli(lr);
        } else {
            // update = lr * buf
            gradient.assign(buffer).muli(lr);
        }
    }
}
