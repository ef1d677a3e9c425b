package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collections;
import java.util.Map;

/**
 * A DL4J batch-normalisation helper that computes float NCHW batch norm (and dense batch norm, which DL4J hands to
 * helpers as [N, C, 1, 1]) with {@link BatchNormKernels}: the batch statistics and the output in one sweep per
 * channel, the backward pass in two. Other inputs (NHWC, double and half precision) go to the helper it replaces,
 * DL4J's oneDNN one where present, or to DL4J's own code when there is none (DL4J's oneDNN helper takes float only,
 * so double, which gradient checks and parity tests use, runs DL4J's own code).
 *
 * <p>It computes what DL4J's own layer computes (biased batch variance for normalising and for the running
 * statistics, which DL4J updates from {@link #getMeanCache} and {@link #getVarCache}); only the order of the sums
 * differs, so results agree to rounding.
 *
 * <p>Told that nothing reads the gradient at its input ({@link InputGradientSkipping}), the kernels leave that pass
 * out; the fallback still computes it.
 */
// implements the interface again so that it is among getInterfaces() (dynamic proxies over helpers rely on it)
final class FusedBatchNormHelper extends InputGradientSkipping implements BatchNormalizationHelper {
    private final BatchNormalizationHelper fallback;
    private BatchNormKernels.Statistics statistics;
    private INDArray meanCache;
    private INDArray varCache;
    // whether the last training forward pass ran in the fallback, whose caches and backward pass then apply
    private boolean lastInFallback;

    /** @param fallback the helper for inputs the kernels do not take, or {@code null} for DL4J's own code */
    FusedBatchNormHelper(BatchNormalizationHelper fallback) {
        this.fallback = fallback;
    }

    /** The helper this one replaced, or {@code null}. */
    BatchNormalizationHelper fallback() {
        return fallback;
    }

    private static boolean handles(INDArray x, CNN2DFormat format) {
        return x.rank() == 4 && format != CNN2DFormat.NHWC
                && x.dataType() == DataType.FLOAT;
    }

    @Override
    public boolean checkSupported(double eps, boolean fixedGammaBeta) {
        // fixed gamma and beta: DL4J then passes none for rank-2 inputs, and its own path handles it cheaply
        return !fixedGammaBeta;
    }

    @Override
    public boolean checkSupported() {
        return true;
    }

    @Override
    public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta, INDArray mean,
                              INDArray var, double decay, double eps, CNN2DFormat format,
                              LayerWorkspaceMgr workspaceMgr) {
        if (!handles(x, format) || gamma == null || beta == null) {
            if (training) {
                lastInFallback = true;
            }
            return fallback == null ? null : fallback.preOutput(x, training, shape, gamma, beta, mean, var, decay, eps,
                    format, workspaceMgr);
        }
        INDArray in = ArrayElements.readableAs(x, DataType.FLOAT, workspaceMgr, ArrayType.FF_WORKING_MEM);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        double[] g = gamma.toDoubleVector();
        double[] b = beta.toDoubleVector();
        if (!training) {
            BatchNormKernels.forwardInference(in, out, g, b, mean.toDoubleVector(), var.toDoubleVector(), eps);
            return out;
        }
        statistics = BatchNormKernels.forwardTraining(in, out, g, b, eps);
        lastInFallback = false;
        int channels = statistics.mean.length;
        if (meanCache == null || meanCache.length() != channels || meanCache.dataType() != x.dataType()) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                meanCache = Nd4j.createUninitialized(x.dataType(), channels);
                varCache = Nd4j.createUninitialized(x.dataType(), channels);
            }
        }
        ArrayElements.of(meanCache).write(0, statistics.mean);
        ArrayElements.of(varCache).write(0, statistics.variance);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape, INDArray gamma,
                                                     INDArray beta, INDArray dGammaView, INDArray dBetaView,
                                                     double eps, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (lastInFallback || !handles(input, format) || gamma == null || beta == null) {
            return fallback == null ? null : fallback.backpropGradient(input, epsilon, shape, gamma, beta, dGammaView,
                    dBetaView, eps, format, workspaceMgr);
        }
        if (statistics == null) {
            throw new IllegalStateException("batch norm's backward pass ran before a training forward pass");
        }
        INDArray in = ArrayElements.readableAs(input, DataType.FLOAT, workspaceMgr, ArrayType.BP_WORKING_MEM);
        INDArray dy = ArrayElements.readableAs(epsilon, DataType.FLOAT, workspaceMgr, ArrayType.BP_WORKING_MEM);
        INDArray dx = inputGradientRead() ? workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD,
                input.dataType(), input.shape(), 'c') : null;
        int channels = statistics.mean.length;
        double[] dGamma = new double[channels];
        double[] dBeta = new double[channels];
        BatchNormKernels.backward(in, dy, dx, gamma.toDoubleVector(), statistics, dGamma, dBeta);
        for (int ch = 0; ch < channels; ch++) {
            dGammaView.putScalar(ch, dGamma[ch]);
            dBetaView.putScalar(ch, dBeta[ch]);
        }
        Gradient g = new DefaultGradient();
        g.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
        g.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        return new Pair<>(g, dx != null ? dx : UnreadArrays.zeros(input.dataType(), input.shape()));
    }

    @Override
    public INDArray getMeanCache(DataType dataType) {
        return lastInFallback ? (fallback == null ? null : fallback.getMeanCache(dataType)) : meanCache;
    }

    @Override
    public INDArray getVarCache(DataType dataType) {
        return lastInFallback ? (fallback == null ? null : fallback.getVarCache(dataType)) : varCache;
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return Collections.emptyMap();
    }
}
