package dev.infopro.dl4j.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The runtime layer of {@link InPlaceReLU}. The forward pass in training applies ReLU to its input array itself when
 * that array lives in the activation workspace of the pass (so it belongs to the network, not to the caller);
 * otherwise, e.g. without workspaces, it copies as DL4J's activation layer does. The backward pass is inherited: it
 * reads the stored input, which now holds the output, and ReLU's derivative is 1 exactly where either is positive.
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
}
