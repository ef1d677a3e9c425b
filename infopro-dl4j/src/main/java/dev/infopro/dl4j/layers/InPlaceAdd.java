package dev.infopro.dl4j.layers;

import lombok.EqualsAndHashCode;
import lombok.ToString;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An element-wise add vertex that, in training, adds its other inputs into its first input instead of into a new
 * array, as PyTorch's {@code out += residual} does. DL4J's add vertex writes a new map, so a residual block keeps
 * both its last batch norm's output and the sum until the backward pass; with this vertex it keeps one.
 *
 * <p>Only correct where nothing reads the first input after the forward pass: it must have no other consumer, and
 * the layer that produced it must not need its own output for its backward pass. The engine decides that
 * ({@code planning.InPlaceActivations}); do not put this vertex in a network yourself. The backward pass of a sum
 * reads no input values, so it is DL4J's own.
 */
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class InPlaceAdd extends ElementWiseVertex {

    /** An add vertex (the only operation this vertex has). */
    public InPlaceAdd() {
        super(Op.Add);
    }

    @Override
    public InPlaceAdd clone() {
        return new InPlaceAdd();
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                      INDArray paramsView, boolean initializeParams,
                                                                      DataType networkDatatype) {
        return new InPlaceAddVertex(graph, name, idx, networkDatatype);
    }
}
