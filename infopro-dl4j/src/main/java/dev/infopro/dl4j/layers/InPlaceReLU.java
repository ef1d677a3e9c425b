package dev.infopro.dl4j.layers;

import lombok.EqualsAndHashCode;
import lombok.NoArgsConstructor;
import lombok.ToString;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/**
 * A plain ReLU {@link ActivationLayer} that, in training, overwrites its input with its output instead of keeping
 * both, as PyTorch's {@code ReLU(inplace=True)} does. DL4J's activation layer copies its input during training, so
 * that every batch-norm/ReLU pair holds two activation maps until the backward pass; this layer holds one.
 *
 * <p>It is only correct where nothing else reads the input after the forward pass: the input must have no other
 * consumer, and the layer that produced it must not need its own output for its backward pass. The engine decides
 * that for each layer ({@code planning.InPlaceActivations}); do not put this layer in a network yourself. The
 * backward pass is DL4J's own: ReLU's derivative is the same whether it is taken at the input or at the output.
 */
@NoArgsConstructor
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class InPlaceReLU extends ActivationLayer {

    /**
     * @param layerName the name of the activation layer this one replaces
     */
    public InPlaceReLU(String layerName) {
        this.activationFn = new ActivationReLU();
        this.layerName = layerName;
    }

    /**
     * Whether an activation function is the plain ReLU {@code max(0, x)} this layer computes (no cap, threshold or
     * negative slope, whose derivatives cannot all be read from the output).
     *
     * @param fn an activation function
     * @return true for the plain ReLU
     */
    public static boolean isPlainReLU(IActivation fn) {
        if (!(fn instanceof ActivationReLU)) {
            return false;
        }
        ActivationReLU r = (ActivationReLU) fn;
        return r.getMax() == null && isZeroOrNull(r.getThreshold()) && isZeroOrNull(r.getNegativeSlope());
    }

    private static boolean isZeroOrNull(Double d) {
        return d == null || d == 0.0;
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new InPlaceReLULayer(conf, networkDataType), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams, initializer());
    }

    @Override
    public InPlaceReLU clone() {
        return (InPlaceReLU) super.clone();
    }
}
