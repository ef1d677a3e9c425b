package dev.infopro.dl4j.layers;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The runtime vertex of {@link InPlaceAdd}. In training, when its first input lives in the pass's activation
 * workspace and every input has its shape and type, the sum is accumulated into that first input; otherwise DL4J's
 * add (a new array, with broadcasting) runs.
 */
public class InPlaceAddVertex extends ElementWiseVertex {
    /** Inputs of the last forward pass when it ran in place, else 0 (DL4J's own backward pass then applies). */
    private int inPlaceInputs;

    /**
     * @param graph       the graph
     * @param name        the vertex name
     * @param vertexIndex the vertex index
     * @param dataType    the network's data type
     */
    public InPlaceAddVertex(ComputationGraph graph, String name, int vertexIndex, DataType dataType) {
        super(graph, name, vertexIndex, Op.Add, dataType);
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        inPlaceInputs = 0;
        if (!training || !canDoForward() || inputs.length < 2 || !InPlace.ownedByThePass(inputs[0], workspaceMgr)) {
            return super.doForward(training, workspaceMgr);
        }
        for (int i = 1; i < inputs.length; i++) {
            if (!inputs[i].equalShapes(inputs[0]) || inputs[i].dataType() != inputs[0].dataType()) {
                return super.doForward(training, workspaceMgr);
            }
        }
        INDArray sum = inputs[0];
        for (int i = 1; i < inputs.length; i++) {
            sum.addi(inputs[i]);
        }
        inPlaceInputs = inputs.length;
        return sum;
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        if (inPlaceInputs == 0) {
            return super.doBackward(tbptt, workspaceMgr);
        }
        if (!canDoBackward()) {
            throw new IllegalStateException("Cannot do backward pass: errors not set");
        }
        // d(sum)/d(input i) = 1: every input receives the error, as in DL4J's add
        INDArray[] out = new INDArray[inPlaceInputs];
        for (int i = 0; i < inPlaceInputs; i++) {
            out[i] = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, epsilon);
        }
        return new Pair<>(null, out);
    }
}
