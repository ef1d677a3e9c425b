package dev.infopro.dl4j.planning;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping1D;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping3D;
import org.deeplearning4j.nn.conf.layers.ZeroPadding1DLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPadding3DLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;

import java.util.ArrayList;
import java.util.List;

/**
 * Which valid cuts are block boundaries: the places where a network's own building blocks end, and where the
 * automatic split strategies prefer to cut (docs/method.md §1.5).
 *
 * <p>A cut after vertex v is at a block boundary when both hold:
 * <ul>
 *   <li><b>v ends in a non-linearity or a merge</b>: an element-wise or merge vertex, an activation layer, a pooling
 *       layer, or a layer with a non-identity activation; a batch norm, dropout or local response normalisation
 *       with identity activation counts as what it reads (conv-relu-BN ends where the BN does). A convolution or
 *       dense layer with identity activation does not: its non-linearity is still to come. Shape-only layers (zero
 *       padding, cropping) and the other vertices (pre-processors, reshapes, scaling, subsets) never do.</li>
 *   <li><b>the block does not continue after v</b>: not every consumer of v is a batch norm, activation, local
 *       pooling, dropout or local response normalisation (looking through zero padding and cropping). A residual
 *       block's sum followed by its ReLU ends at the ReLU; a convolution's ReLU followed by max pooling ends at the
 *       pooling.</li>
 * </ul>
 * Global pooling does not continue a block: it starts the classifier.
 *
 * <p>On the paper's CIFAR ResNets the boundaries are the stem's and each residual block's output (the vertices its
 * cut tables name) and the global pooling (which {@link CutPlanner#candidateCuts} leaves out: a module of its own
 * would train nothing); a cut between a convolution and its batch norm, or after a zero padding, is never one.
 */
public final class BlockBoundaries {
    private BlockBoundaries() {
    }

    /** The vertices of {@code cuts} (for example the valid cuts) that are block boundaries, in the same order. */
    public static List<String> of(ComputationGraphConfiguration conf, GraphAnalysis analysis, List<String> cuts) {
        List<String> out = new ArrayList<>();
        for (String v : cuts) {
            if (isBoundary(conf, analysis, v)) {
                out.add(v);
            }
        }
        return out;
    }

    /** Whether a cut after {@code vertex} is at a block boundary (see the class comment); validity is not checked. */
    public static boolean isBoundary(ComputationGraphConfiguration conf, GraphAnalysis analysis, String vertex) {
        if (!endsInNonLinearity(conf, vertex)) {
            return false;
        }
        List<String> next = analysis.consumers(vertex);
        for (String w : next) {
            if (!continuesBlock(conf, analysis, w)) {
                return true;
            }
        }
        return next.isEmpty();
    }

    private static boolean endsInNonLinearity(ComputationGraphConfiguration conf, String vertex) {
        GraphVertex gv = unwrap(conf.getVertices().get(vertex));
        if (gv instanceof ElementWiseVertex || gv instanceof MergeVertex) {
            return true;
        }
        Layer l = layer(gv);
        if (l == null || isShapeOnly(l)) {
            return false;
        }
        if (l instanceof ActivationLayer || l instanceof SubsamplingLayer || l instanceof GlobalPoolingLayer
                || !isIdentity(l)) {
            return true;
        }
        // a normalisation or dropout with identity activation passes on what it reads (conv-relu-BN ends after BN)
        List<String> in = conf.getVertexInputs().get(vertex);
        return isPassThrough(l) && in != null && in.size() == 1 && conf.getVertices().containsKey(in.get(0))
                && endsInNonLinearity(conf, in.get(0));
    }

    /** A layer that belongs to the block of the vertex it reads: normalisation, activation, local pooling, dropout. */
    private static boolean continuesBlock(ComputationGraphConfiguration conf, GraphAnalysis analysis, String vertex) {
        Layer l = layer(unwrap(conf.getVertices().get(vertex)));
        if (l != null && isShapeOnly(l)) {
            // padding belongs to what follows it: look at the layer after it
            List<String> next = analysis.consumers(vertex);
            return !next.isEmpty() && next.stream().allMatch(w -> continuesBlock(conf, analysis, w));
        }
        return isPassThrough(l) || l instanceof ActivationLayer || l instanceof SubsamplingLayer;
    }

    private static boolean isPassThrough(Layer l) {
        return l instanceof BatchNormalization || l instanceof DropoutLayer || l instanceof LocalResponseNormalization;
    }

    private static boolean isShapeOnly(Layer l) {
        return l instanceof ZeroPaddingLayer || l instanceof ZeroPadding1DLayer || l instanceof ZeroPadding3DLayer
                || l instanceof Cropping1D || l instanceof Cropping2D || l instanceof Cropping3D;
    }

    private static boolean isIdentity(Layer l) {
        if (!(l instanceof BaseLayer)) {
            return true;
        }
        IActivation a = ((BaseLayer) l).getActivationFn();
        return a == null || a instanceof ActivationIdentity;
    }

    private static GraphVertex unwrap(GraphVertex gv) {
        return gv instanceof FrozenVertex ? ((FrozenVertex) gv).getUnderlying() : gv;
    }

    private static Layer layer(GraphVertex gv) {
        if (!(gv instanceof LayerVertex)) {
            return null;
        }
        Layer l = ((LayerVertex) gv).getLayerConf().getLayer();
        while (l instanceof FrozenLayer || l instanceof FrozenLayerWithBackprop) {
            l = l instanceof FrozenLayer ? ((FrozenLayer) l).getLayer() : ((FrozenLayerWithBackprop) l).getUnderlying();
        }
        return l;
    }
}
