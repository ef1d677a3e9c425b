package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * Wraps DL4J's oneDNN convolution helper to fix four things of M2.1:
 * <ul>
 *   <li><b>Layout conversions.</b> Float NCHW convolutions run on {@link DirectConvolution}, which calls oneDNN
 *   itself with the layouts PyTorch's oneDNN uses and builds its primitives once, instead of libnd4j's op, which
 *   converts every activation and gradient between three layouts on each call (unless
 *   {@value OneDnnHelpers#DIRECT_CONVOLUTION_PROPERTY} is {@code false}, or oneDNN cannot be loaded).</li>
 *   <li><b>Convolutions without bias.</b> {@code MKLDNNConvHelper.backpropGradient} passes the (null) bias to the
 *   native op and fails with "array is marked non-null but is null"; DL4J then logs a warning and falls back to its
 *   slow Java path for the rest of the run. ResNets use bias-free convolutions everywhere. The wrapper hands the
 *   helper a zero bias and a scratch bias gradient, and drops that gradient from the result: a zero bias adds
 *   nothing to the forward pass, and the weight and input gradients do not depend on it.</li>
 *   <li><b>The forward pass run again in the backward pass.</b> {@code ConvolutionLayer.backpropGradient} computes
 *   the convolution once more to get the pre-activation values for its activation's derivative, before it calls
 *   the helper's backward pass. With the identity activation (every convolution followed by batch norm) that
 *   derivative never reads them, so for such a layer the wrapper answers that call with an array of the right shape
 *   and no memory behind it (all strides 0) instead of convolving: a third of the layer's convolution work per step
 *   (docs/benchmarks.md, "Convolutions").</li>
 *   <li><b>The gradient at a module's input.</b> For a layer fed only by the network's input of a graph that only
 *   trains ({@link OneDnnHelpers#patchForTraining}), the direct path skips the backward-data convolution, whose result
 *   DL4J drops ({@link #inputGradientUnread}).</li>
 * </ul>
 */
final class PatchedConvHelper extends InputGradientSkipping implements ConvolutionHelper {
    private static final StackWalker STACK = StackWalker.getInstance();
    private static final String CONVOLUTION_LAYER = org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class
            .getName();

    private final ConvolutionHelper delegate;
    private final boolean identityActivation;
    private final boolean hasBias;
    private final DirectConvolution direct;
    private INDArray zeroBias;
    private INDArray scratchBiasGrad;

    /**
     * @param delegate           DL4J's oneDNN helper of the layer
     * @param identityActivation whether the layer's activation is the identity, whose derivative ignores its input
     * @param hasBias            whether the layer has a bias (without one DL4J still passes a zero bias and a
     *                           scratch bias gradient, of the default data type, which the direct path skips)
     * @param direct             whether float NCHW convolutions go to {@link DirectConvolution} (where it loads)
     */
    PatchedConvHelper(ConvolutionHelper delegate, boolean identityActivation, boolean hasBias, boolean direct) {
        this.delegate = delegate;
        this.identityActivation = identityActivation;
        this.hasBias = hasBias;
        this.direct = direct && OneDnn.available() ? new DirectConvolution() : null;
    }

    /** Whether this layer's float NCHW convolutions run on {@link DirectConvolution}. */
    boolean direct() {
        return direct != null;
    }

    ConvolutionHelper delegate() {
        return delegate;
    }

    @Override
    public boolean checkSupported() {
        return delegate.checkSupported();
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray weights, INDArray bias, INDArray delta,
                                                     int[] kernel, int[] strides, int[] pad, INDArray biasGradView,
                                                     INDArray weightGradView, IActivation afn,
                                                     ConvolutionLayer.AlgoMode mode,
                                                     ConvolutionLayer.BwdFilterAlgo bwdFilterAlgo,
                                                     ConvolutionLayer.BwdDataAlgo bwdDataAlgo,
                                                     ConvolutionMode convolutionMode, int[] dilation,
                                                     CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        DirectConvolution.Geometry geometry = direct == null ? null : DirectConvolution.geometry(input, weights,
                hasBias, kernel, strides, pad, convolutionMode, dilation, format);
        if (geometry != null && OneDnn.accepts(weights) && OneDnn.accepts(weightGradView)
                && (!hasBias || OneDnn.accepts(biasGradView))) {
            INDArray in = ArrayElements.readableAs(input, DataType.FLOAT, workspaceMgr, ArrayType.BP_WORKING_MEM);
            INDArray d = ArrayElements.readableAs(delta, DataType.FLOAT, workspaceMgr, ArrayType.BP_WORKING_MEM);
            INDArray gradAtInput = inputGradientRead() ? workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD,
                    DataType.FLOAT, input.shape(), 'c') : null;
            direct.backward(geometry, in, weights, d, gradAtInput, weightGradView, hasBias ? biasGradView : null);
            if (gradAtInput == null) {
                gradAtInput = UnreadArrays.zeros(DataType.FLOAT, input.shape());
            }
            Gradient grad = new DefaultGradient();
            if (hasBias) {
                grad.gradientForVariable().put(ConvolutionParamInitializer.BIAS_KEY, biasGradView);
            }
            grad.gradientForVariable().put(ConvolutionParamInitializer.WEIGHT_KEY, weightGradView);
            return new Pair<>(grad, gradAtInput);
        }
        if (bias != null && biasGradView != null) {
            return delegate.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView,
                    weightGradView, afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format,
                    workspaceMgr);
        }
        long nOut = weights.size(0);
        if (zeroBias == null || zeroBias.length() != nOut || zeroBias.dataType() != weights.dataType()) {
            try (var ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                zeroBias = Nd4j.zeros(weights.dataType(), 1, nOut);
                scratchBiasGrad = Nd4j.zeros(weights.dataType(), 1, nOut);
            }
        }
        Pair<Gradient, INDArray> result = delegate.backpropGradient(input, weights, zeroBias, delta, kernel, strides,
                pad, scratchBiasGrad, weightGradView, afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode,
                dilation, format, workspaceMgr);
        if (result == null) {
            return null;
        }
        Gradient g = new DefaultGradient();
        for (Map.Entry<String, INDArray> e : result.getFirst().gradientForVariable().entrySet()) {
            if (!ConvolutionParamInitializer.BIAS_KEY.equals(e.getKey())) {
                g.gradientForVariable().put(e.getKey(), e.getValue());
            }
        }
        return new Pair<>(g, result.getSecond());
    }

    @Override
    public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides, int[] pad,
                              ConvolutionLayer.AlgoMode mode, ConvolutionLayer.FwdAlgo fwdAlgo,
                              ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
                              LayerWorkspaceMgr workspaceMgr) {
        if (identityActivation && calledByConvolutionBackprop()) {
            long[] shape = outputShape(input, weights, kernel, strides, pad, convolutionMode, dilation, format);
            // read by nothing: ActivationIdentity.backprop compares its shape with the gradient's and returns that
            return UnreadArrays.zeros(weights.dataType(), shape);
        }
        DirectConvolution.Geometry g = direct == null ? null : DirectConvolution.geometry(input, weights, hasBias,
                kernel, strides, pad, convolutionMode, dilation, format);
        if (g != null && OneDnn.accepts(weights)) {
            INDArray in = ArrayElements.readableAs(input, DataType.FLOAT, workspaceMgr, ArrayType.FF_WORKING_MEM);
            // DL4J may hold the bias in another type than the weights
            INDArray b = hasBias
                    ? ArrayElements.readableAs(bias, DataType.FLOAT, workspaceMgr, ArrayType.FF_WORKING_MEM) : null;
            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, g.dst(), 'c');
            direct.forward(g, in, weights, b, out);
            return out;
        }
        return delegate.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode,
                dilation, format, workspaceMgr);
    }

    private static boolean calledByConvolutionBackprop() {
        return STACK.walk(frames -> frames.limit(10).anyMatch(f -> f.getClassName().equals(CONVOLUTION_LAYER)
                && f.getMethodName().equals("backpropGradient")));
    }

    private static long[] outputShape(INDArray input, INDArray weights, int[] kernel, int[] strides, int[] pad,
                                      ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format) {
        int[] hw = org.deeplearning4j.util.ConvolutionUtils.getOutputSize(input, kernel, strides,
                convolutionMode == ConvolutionMode.Same ? null : pad, convolutionMode, dilation, format);
        long n = input.size(0);
        long c = weights.size(0);
        return format == CNN2DFormat.NHWC ? new long[]{n, hw[0], hw[1], c} : new long[]{n, c, hw[0], hw[1]};
    }

    @Override
    public INDArray activate(INDArray z, IActivation afn, boolean training) {
        return delegate.activate(z, afn, training);
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return delegate.helperMemoryUse();
    }
}
