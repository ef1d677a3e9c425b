package dev.infopro.dl4j.heads;

import dev.infopro.dl4j.init.HeFanOutNormal;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.activations.Activation;

/** Layer factories shared by the heads, so both follow the reference's conventions. */
final class HeadLayers {
    /** PyTorch's BatchNorm2d eps. */
    static final double BN_EPS = 1e-5;
    /** DL4J decay = 1 - PyTorch momentum (0.1). */
    static final double BN_DECAY = 0.9;

    private HeadLayers() {
    }

    /** 3x3 convolution, padding 1, He fan-out normal weights; bias (initialised later by TorchBiasInit) optional. */
    static ConvolutionLayer conv3x3(long nIn, long nOut, int stride, boolean bias) {
        return new ConvolutionLayer.Builder(3, 3)
                .stride(stride, stride)
                .padding(1, 1)
                .convolutionMode(ConvolutionMode.Truncate)
                .dataFormat(CNN2DFormat.NCHW)
                .nIn(nIn)
                .nOut(nOut)
                .hasBias(bias)
                .biasInit(0.0)
                .weightInit(new HeFanOutNormal())
                .activation(Activation.IDENTITY)
                .build();
    }

    /** Batch norm with the reference's eps and momentum; gamma 1, beta 0 (DL4J's initialiser); running variance stored as is. */
    static BatchNormalization batchNorm(long channels) {
        return new BatchNormalization.Builder()
                .nIn(channels)
                .nOut(channels)
                .eps(BN_EPS)
                .decay(BN_DECAY)
                .useLogStd(false)
                .activation(Activation.IDENTITY)
                .build();
    }

    /** The input type as NCHW convolutional, or an IllegalArgumentException naming the head. */
    static InputType.InputTypeConvolutional requireConv(InputType inputType, String head) {
        if (!(inputType instanceof InputType.InputTypeConvolutional)) {
            throw new IllegalArgumentException(head + " needs a convolutional feature map h [N,C,H,W], got input type "
                    + inputType + "; attach it to a convolutional vertex (InputType.convolutional(h, w, c))");
        }
        InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) inputType;
        if (c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException(head + " supports NCHW feature maps only, got " + c.getFormat());
        }
        return c;
    }
}
