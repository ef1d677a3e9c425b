package dev.infopro.dl4j.layers;

import dev.infopro.dl4j.backend.DirectRelu;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The runtime layer of {@link InPlaceReLU}. The forward pass in training applies ReLU to its input array itself when
 * that array lives in the activation workspace of the pass (so it belongs to the network, not to the caller);
 * otherwise, e.g. without workspaces, it copies as DL4J's activation layer does. The backward pass reads the stored
 * input, which then holds the output: ReLU's derivative is 1 exactly where either is positive. It is one sweep
 * writing the gradient into the gradient workspace ({@link DirectRelu} on oneDNN for float arrays, else libnd4j's
 * op), where DL4J's activation layer copies the input, writes the derivative into a third array and copies that into
 * the workspace.
 */
public class InPlaceReLULayer extends ActivationLayer {

    /**
     * @param conf     the layer's configuration (an {@link InPlaceReLU})
     * @param dataType the network's data type
     */
    public InPlaceReLULayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        if (training && InPlace.ownedByThePass(input, mgr)) {
            assertInputSet(false);
            return layerConf().getActivationFn().getActivation(input, true);
        }
        return super.activate(training, mgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (!InPlaceReLU.isPlainReLU(layerConf().getActivationFn()) || epsilon.dataType() != input.dataType()) {
            return super.backpropGradient(epsilon, mgr);
        }
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), 'c');
        if (!DirectRelu.backward(input, epsilon, dx)) {
            Nd4j.exec(new RectifiedLinearDerivative(input, epsilon, dx));
        }
        return new Pair<>(new DefaultGradient(), dx);
    }
}
