package dev.infopro.dl4j.heads;

import dev.infopro.dl4j.layers.BilinearUpsampling2D;
import dev.infopro.dl4j.losses.LossBinaryCrossEntropy;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.ToString;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Set;

/**
 * InfoPro's decoder (docs/method.md §2.3), the estimator of I(h, x): bilinear upsampling of h to the image size
 * (align_corners = true) &rarr; conv3x3(C &rarr; 12*widen, pad 1, bias) &rarr; BN &rarr; ReLU &rarr;
 * conv3x3(&rarr; image channels, pad 1, bias) &rarr; sigmoid, trained with binary cross-entropy against the
 * de-normalised image x01 in [0, 1].
 *
 * <p>The output layer is a {@link CnnLossLayer} with a sigmoid and {@link LossBinaryCrossEntropy}; the loss carries
 * {@code lossWeight} and {@code rowsPerExample = H*W}, because CnnLossLayer scores each pixel row separately and
 * divides only by the mini-batch size. The layer's score is therefore {@code lossWeight * mean BCE} over all
 * B*C*H*W elements, as PyTorch's {@code BCELoss()}.
 *
 * <p>Layer names (after the prefix): {@code up, conv1, bn, relu, conv2, out}. Convolution weights use He fan-out
 * normal; the two convolution biases need {@code TorchBiasInit} after init ({@link #torchBiasLayers}).
 */
@Getter
@EqualsAndHashCode
@ToString
public class ReconstructionHead implements AuxiliaryHead {
    /** Hidden channels of the reference decoder at widen 1. */
    public static final int BASE_CHANNELS = 12;

    private final double widen;

    /** The reference decoder (widen 1). */
    public ReconstructionHead() {
        this(1.0);
    }

    /**
     * @param widen multiplier of the 12 hidden channels ({@code int(12 * widen)}, at least 1)
     */
    @JsonCreator
    public ReconstructionHead(@JsonProperty("widen") double widen) {
        if (!(widen > 0) || (int) (BASE_CHANNELS * widen) < 1) {
            throw new IllegalArgumentException("ReconstructionHead widen must be > 0 and give at least one hidden "
                    + "channel (12 * widen >= 1), got " + widen);
        }
        this.widen = widen;
    }

    /** Hidden channels of the decoder: {@code int(12 * widen)} as the reference truncates. */
    public int hiddenChannels() {
        return (int) (BASE_CHANNELS * widen);
    }

    @Override
    public Target target() {
        return Target.INPUT_IMAGE;
    }

    @Override
    public String attach(ComputationGraphConfiguration.GraphBuilder graph, String input, InputType inputType,
                         String prefix, double lossWeight, HeadContext context) {
        InputType.InputTypeConvolutional in = HeadLayers.requireConv(inputType, "ReconstructionHead");
        long h = context.getImageHeight();
        long w = context.getImageWidth();
        long c = context.getImageChannels();
        if (h < 1 || w < 1 || c < 1) {
            throw new IllegalArgumentException("ReconstructionHead needs the image shape in the HeadContext "
                    + "(channels, height, width >= 1), got " + c + "x" + h + "x" + w);
        }
        int hidden = hiddenChannels();
        graph.addLayer(prefix + "up", new BilinearUpsampling2D(h, w), input);
        graph.addLayer(prefix + "conv1", HeadLayers.conv3x3(in.getChannels(), hidden, 1, true), prefix + "up");
        graph.addLayer(prefix + "bn", HeadLayers.batchNorm(hidden), prefix + "conv1");
        graph.addLayer(prefix + "relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), prefix + "bn");
        graph.addLayer(prefix + "conv2", HeadLayers.conv3x3(hidden, c, 1, true), prefix + "relu");
        String out = prefix + "out";
        graph.addLayer(out, new CnnLossLayer.Builder(new LossBinaryCrossEntropy(lossWeight, h * w))
                .activation(Activation.SIGMOID)
                .format(CNN2DFormat.NCHW)
                .build(), prefix + "conv2");
        return out;
    }

    @Override
    public Set<String> torchBiasLayers(String prefix) {
        return Set.of(prefix + "conv1", prefix + "conv2");
    }
}
