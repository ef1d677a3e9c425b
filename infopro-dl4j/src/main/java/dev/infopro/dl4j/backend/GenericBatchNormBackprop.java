package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's oneDNN batch-normalisation helper with the backward pass run by libnd4j's generic {@code batchnorm_bp}
 * kernel instead of its oneDNN platform implementation. The forward pass (oneDNN) is unchanged.
 *
 * <p>Why: batch norm's backward pass is the second largest cost of a training step after the convolutions, and in
 * 1.0.0-M2.1 the oneDNN {@code batchnorm_bp} is no faster than the generic kernel on the shapes of a CIFAR ResNet,
 * slower on some (docs/benchmarks.md, "Where the time goes"). Both kernels compute the same gradient of the same op;
 * only the {@link OpContext} of this one call has platform helpers switched off, so every other op keeps oneDNN.
 * Used only when {@link OneDnnHelpers#GENERIC_BN_BACKWARD_PROPERTY} is {@code true}: a gain in a whole step is not
 * shown yet.
 */
// implements the interface again so that it is among getInterfaces() (dynamic proxies over helpers rely on it)
final class GenericBatchNormBackprop extends MKLDNNBatchNormHelper implements BatchNormalizationHelper {

    GenericBatchNormBackprop(DataType dataType) {
        super(dataType);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape, INDArray gamma,
                                                     INDArray beta, INDArray dGammaView, INDArray dBetaView,
                                                     double eps, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        INDArray mean = getMeanCache(input.dataType());
        INDArray var = getVarCache(input.dataType());
        if (input.dataType() != DataType.FLOAT || gamma == null || beta == null || mean == null || var == null) {
            return super.backpropGradient(input, epsilon, shape, gamma, beta, dGammaView, dBetaView, eps, format,
                    workspaceMgr);
        }
        // the same op, arguments and outputs as MKLDNNBatchNormHelper.backpropGradient
        INDArray eps4 = Shape.hasDefaultStridesForShape(epsilon) ? epsilon : epsilon.dup('c');
        int axis = input.rank() == 4 && format == CNN2DFormat.NHWC ? 3 : 1;
        INDArray epsOut = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape());
        INDArray dLdm = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, mean.dataType(), mean.shape());
        INDArray dLdv = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, var.dataType(), var.shape());
        INDArray[] inputs = {input, mean, var, gamma.reshape(gamma.length()), beta.reshape(beta.length()), eps4};
        INDArray[] outputs = {epsOut, dLdm, dLdv, dGammaView.reshape(dGammaView.length()),
                dBetaView.reshape(dBetaView.length())};
        DynamicCustomOp op = DynamicCustomOp.builder("batchnorm_bp").build();
        try (OpContext ctx = Nd4j.getExecutioner().buildContext()) {
            ctx.allowHelpers(false);
            ctx.setIArguments(1, 1, axis);
            ctx.setTArguments(eps);
            ctx.setInputArrays(inputs);
            ctx.setOutputArrays(outputs);
            Nd4j.exec(op, ctx);
        } catch (Exception e) {
            throw e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
        }
        Gradient g = new DefaultGradient();
        g.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
        g.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        return new Pair<>(g, epsOut);
    }
}
