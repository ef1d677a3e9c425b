package dev.infopro.dl4j.layers;

import dev.infopro.dl4j.backend.ArrayElements;
import dev.infopro.dl4j.backend.ParallelChunks;
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

import java.util.Arrays;

/**
 * Implementation of {@link BilinearUpsampling2D}: {@code Y = A_h X A_w^T} for every (example, channel) slice, backward
 * {@code dX = A_h^T dY A_w}. Each interpolation matrix has two non-zeros per row, so both passes run in Java as two
 * sweeps over each slice (width, then height) reading two taps per output ({@link BilinearInterpolation#taps}), the
 * slices spread over the fork-join pool. (It replaced two libnd4j matrix products over the whole batch with transposing
 * copies between them; the decoder's training step at a 32x14x14 cut became 20-27% faster: docs/benchmarks.md,
 * "Bilinear upsampling in Java".)
 */
public class BilinearUpsampling2DLayer extends AbstractLayer<BilinearUpsampling2D> {

    // rebuilt only when the input size changes
    private transient BilinearInterpolation.Taps tapsH;
    private transient BilinearInterpolation.Taps tapsW;
    private transient long cachedInH = -1;
    private transient long cachedInW = -1;

    /** Creates the layer for the given configuration. */
    public BilinearUpsampling2DLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private void ensureTaps(long inH, long inW) {
        if (tapsH == null || inH != cachedInH || inW != cachedInW) {
            tapsH = BilinearInterpolation.taps(inH, layerConf().getOutHeight());
            tapsW = BilinearInterpolation.taps(inW, layerConf().getOutWidth());
            cachedInH = inH;
            cachedInW = inW;
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
        ensureTaps(h, w);
        INDArray x = ArrayElements.readableAs(input, input.dataType(), workspaceMgr, ArrayType.FF_WORKING_MEM);
        resize(x, out, (int) (n * c), (int) h, (int) w, tapsH, tapsW);
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
        ensureTaps(h, w);
        INDArray g = ArrayElements.readableAs(epsilon, input.dataType(), workspaceMgr, ArrayType.BP_WORKING_MEM);
        resizeAdjoint(g, dx, (int) (n * c), (int) h, (int) w, tapsH, tapsW);
        return new Pair<>(new DefaultGradient(), dx);
    }

    /** {@code out[s] = A_h x[s] A_w^T} for every slice {@code s} of {@code x} [slices, h, w]. */
    private static void resize(INDArray x, INDArray out, int slices, int h, int w, BilinearInterpolation.Taps th,
                               BilinearInterpolation.Taps tw) {
        int oh = th.lo.length;
        int ow = tw.lo.length;
        perSlice(x, out, slices, h * w, h * ow, oh * ow, (src, mid, dst) -> {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < ow; j++) {
                    mid[i * ow + j] = tw.wLo[j] * src[i * w + tw.lo[j]] + tw.wHi[j] * src[i * w + tw.hi[j]];
                }
            }
            for (int i = 0; i < oh; i++) {
                int lo = th.lo[i] * ow;
                int hi = th.hi[i] * ow;
                for (int j = 0; j < ow; j++) {
                    dst[i * ow + j] = th.wLo[i] * mid[lo + j] + th.wHi[i] * mid[hi + j];
                }
            }
        });
    }

    /** {@code dx[s] = A_h^T g[s] A_w}: the adjoint of {@link #resize}, scattering each output's gradient to its taps. */
    private static void resizeAdjoint(INDArray g, INDArray dx, int slices, int h, int w, BilinearInterpolation.Taps th,
                                      BilinearInterpolation.Taps tw) {
        int oh = th.lo.length;
        int ow = tw.lo.length;
        perSlice(g, dx, slices, oh * ow, h * ow, h * w, (src, mid, dst) -> {
            Arrays.fill(mid, 0.0);
            for (int i = 0; i < oh; i++) {
                int lo = th.lo[i] * ow;
                int hi = th.hi[i] * ow;
                for (int j = 0; j < ow; j++) {
                    double v = src[i * ow + j];
                    mid[lo + j] += th.wLo[i] * v;
                    mid[hi + j] += th.wHi[i] * v;
                }
            }
            Arrays.fill(dst, 0.0);
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < ow; j++) {
                    double v = mid[i * ow + j];
                    dst[i * w + tw.lo[j]] += tw.wLo[j] * v;
                    dst[i * w + tw.hi[j]] += tw.wHi[j] * v;
                }
            }
        });
    }

    /** The work on one slice: {@code src} read, {@code mid} scratch, {@code dst} to be written. */
    private interface SliceKernel {
        void apply(double[] src, double[] mid, double[] dst);
    }

    /**
     * Runs {@code kernel} on every slice: slice {@code s} of {@code from} ({@code srcSize} elements) in, slice
     * {@code s} of {@code to} ({@code dstSize} elements) out. The slices go in a few chunks per core to the fork-join
     * pool; small batches run on the calling thread.
     */
    private static void perSlice(INDArray from, INDArray to, int slices, int srcSize, int midSize, int dstSize,
                                 SliceKernel kernel) {
        ArrayElements in = ArrayElements.of(from);
        ArrayElements out = ArrayElements.of(to);
        ParallelChunks.run(slices, (long) slices * (srcSize + dstSize), (first, end) -> {
            double[] src = new double[srcSize];
            double[] mid = new double[midSize];
            double[] dst = new double[dstSize];
            for (int s = first; s < end; s++) {
                in.read((long) s * srcSize, src);
                kernel.apply(src, mid, dst);
                out.write((long) s * dstSize, dst);
            }
        });
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
