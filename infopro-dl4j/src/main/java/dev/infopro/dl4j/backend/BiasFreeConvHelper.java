package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * Wraps DL4J's oneDNN convolution helper so that its backward pass works for convolutions without bias.
 *
 * <p>In M2.1 {@code MKLDNNConvHelper.backpropGradient} passes the (null) bias to the native op and fails with
 * "array is marked non-null but is null"; DL4J then logs a warning and falls back to its slow Java path for the
 * rest of the run. ResNets use bias-free convolutions everywhere, so this matters. The wrapper hands the helper a
 * zero bias and a scratch bias gradient, and drops that gradient from the result: a zero bias adds nothing to the
 * forward pass, and the weight and input gradients do not depend on it.
 */
final class BiasFreeConvHelper implements ConvolutionHelper {
    private final ConvolutionHelper delegate;
    private INDArray zeroBias;
    private INDArray scratchBiasGrad;

    BiasFreeConvHelper(ConvolutionHelper delegate) {
        this.delegate = delegate;
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
        return delegate.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode,
                dilation, format, workspaceMgr);
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
