package dev.infopro.dl4j.layers;

import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

import java.util.Arrays;

/**
 * Implementation of {@link BilinearUpsampling2D}: {@code Y = A_h X A_w^T} for every (example, channel) slice,
 * computed with two matrix products over the whole batch; backward {@code dX = A_h^T dY A_w}.
 */
public class BilinearUpsampling2DLayer extends AbstractLayer<BilinearUpsampling2D> {

    // Detached interpolation matrices, rebuilt only when the input size or data type changes.
    private transient INDArray cachedAh;
    private transient INDArray cachedAw;
    private transient long cachedInH = -1;
    private transient long cachedInW = -1;
    private transient DataType cachedType;

    /** Creates the layer for the given configuration. */
    public BilinearUpsampling2DLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private void ensureMatrices(long inH, long inW, DataType type) {
        if (cachedAh == null || inH != cachedInH || inW != cachedInW || type != cachedType) {
            cachedAh = BilinearInterpolation.matrix(inH, layerConf().getOutHeight(), type);
            cachedAw = BilinearInterpolation.matrix(inW, layerConf().getOutWidth(), type);
            cachedInH = inH;
            cachedInW = inW;
            cachedType = type;
        }
    }

    private void checkRank(INDArray in) {
        if (in.rank() != 4) {
            throw new DL4JInvalidInputException("BilinearUpsampling2D expects NCHW input of rank 4, got shape "
                    + Arrays.toString(in.shape()) + " " + layerId());
        }
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        checkRank(input);
        long n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
        long oh = layerConf().getOutHeight(), ow = layerConf().getOutWidth();
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), new long[]{n, c, oh, ow}, 'c');
        if (h == oh && w == ow) {
            return out.assign(input); // both interpolation matrices are the identity
        }
        ensureMatrices(h, w, input.dataType());
        resize(input, cachedAh, cachedAw, out, n * c, h, w, oh, ow);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        checkRank(input);
        long n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
        long oh = layerConf().getOutHeight(), ow = layerConf().getOutWidth();
        if (epsilon.rank() != 4 || epsilon.size(0) != n || epsilon.size(1) != c || epsilon.size(2) != oh
                || epsilon.size(3) != ow) {
            throw new DL4JInvalidInputException("BilinearUpsampling2D: epsilon shape " + Arrays.toString(epsilon.shape())
                    + " does not match the output shape " + Arrays.toString(new long[]{n, c, oh, ow}) + " " + layerId());
        }
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), 'c');
        if (h == oh && w == ow) {
            return new Pair<>(new DefaultGradient(), dx.assign(epsilon)); // the identity's adjoint
        }
        ensureMatrices(h, w, input.dataType());
        // The transposed map: A_h^T [H, H'], A_w^T^T = A_w [W', W].
        resize(epsilon, cachedAh.transpose(), cachedAw.transpose(), dx, n * c, oh, ow, h, w);
        return new Pair<>(new DefaultGradient(), dx);
    }

    /**
     * {@code out[s] = ah * x[s] * aw^T} for all {@code s} slices; {@code ah [outH, inH]}, {@code aw [outW, inW]}.
     * The intermediates live in whatever workspace is open (working memory); {@code out} receives the result.
     */
    private static void resize(INDArray x, INDArray ah, INDArray aw, INDArray out, long slices,
                               long inH, long inW, long outH, long outW) {
        // a C-ordered array without offset reshapes as a view; anything else is copied first
        INDArray x2 = (Shape.hasDefaultStridesForShape(x) && x.offset() == 0 ? x : x.dup('c'))
                .reshape('c', slices * inH, inW);
        // Width pass: [S*inH, inW] x [inW, outW]
        INDArray t = x2.mmul(aw.transpose());
        // Height pass: bring H to the front: [inH, S*outW]
        INDArray tH = t.reshape('c', slices, inH, outW).permute(1, 0, 2).dup('c').reshape('c', inH, slices * outW);
        INDArray y = ah.mmul(tH); // [outH, S*outW]
        INDArray yS = y.reshape('c', outH, slices, outW).permute(1, 0, 2);
        out.reshape('c', slices, outH, outW).assign(yS);
    }

    @Override
    public Type type() {
        return Type.UPSAMPLING;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void clearNoiseWeightParams() {
        // No parameters.
    }

    @Override
    public Layer clone() {
        return new BilinearUpsampling2DLayer(conf.clone(), dataType);
    }

    @Override
    public long numParams() {
        return 0;
    }

    @Override
    public INDArray params() {
        return null;
    }
}
