package dev.infopro.dl4j.heads;

import dev.infopro.dl4j.init.TorchDefaultUniform;
import dev.infopro.dl4j.losses.LossSupCon;
import dev.infopro.dl4j.losses.ScaledLoss;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.ToString;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * InfoPro's auxiliary classifier / projection head (docs/method.md §2.4), the estimator of I(h, y):
 * {@code convs x [conv3x3 (no bias) -> BN -> ReLU] -> global average pool -> (fcs-1) x [FC(hidden) -> ReLU] -> FC(out)}.
 * With {@link HeadLoss#SOFTMAX} the output is {@code numClasses} scores with softmax cross-entropy
 * ({@code ScaledLoss(LossMCXENT)}, weight = lambda); with {@link HeadLoss#CONTRAST} it is a {@code featureDim}
 * projection trained with {@link LossSupCon} (identity activation, the loss L2-normalises).
 *
 * <p><b>Convolution rule.</b> The reference maps input channels 16 &rarr; 32 (stride 2), 32 &rarr; 64 (stride 2),
 * 64 &rarr; 64 (stride 1). The general rule here is: a conv doubles the channels with stride 2 while the (un-widened)
 * channel count is below 64, else keeps them with stride 1; the output channels are multiplied by {@code widen}
 * ({@code int(c * widen)}). This reproduces the reference exactly for 16/32/64 on every dataset, including STL-10
 * where the reference's rule is tied to channels, not resolution (64 channels at 24x24 still use stride 1); a
 * resolution-based rule would diverge there. For {@code 2c2f} the rule is applied again to the first conv's output
 * (16 &rarr; 32 s2 &rarr; 64 s2; 32 &rarr; 64 s2 &rarr; 64 s1; 64 &rarr; 64 s1 &rarr; 64 s1). The reference's
 * {@code 2c2f} keeps the channels at stride 1 in its second conv (docs/method.md §2.4), so for 16 input channels it
 * has 16 &rarr; 32 s2 &rarr; 32 s1 and this head differs; 32 and 64 input channels agree. The reference's published
 * commands use {@code 1c2f} only.
 *
 * <p>Hidden FC width = {@code int(128 * widen)}, ReLU, with biases. Layer names (after the prefix):
 * {@code conv<i>, bn<i>, relu<i>} (i from 1), {@code gap}, {@code fc<j>} (j from 1), {@code out}. Convolutions use
 * He fan-out normal, dense weights {@link TorchDefaultUniform}; dense biases need {@code TorchBiasInit} after init
 * ({@link #torchBiasLayers}).
 */
@Getter
@EqualsAndHashCode
@ToString
public class AuxClassifierHead implements AuxiliaryHead {
    /** Hidden width of the reference's FCs at widen 1. */
    public static final int HIDDEN = 128;
    /** The reference's projection dimension ({@code --aux_net_feature_dim 128}). */
    public static final int DEFAULT_FEATURE_DIM = 128;
    /** Convolutions double the channels (stride 2) below this channel count. */
    public static final long DOUBLING_LIMIT = 64;

    private final AuxNetConfig config;
    private final HeadLoss loss;
    private final double widen;
    private final int featureDim;
    private final double temperature;

    /** The published head: 1c2f, contrastive, widen 1, feature dim 128, temperature 0.07. */
    public AuxClassifierHead() {
        this(AuxNetConfig.C1F2, HeadLoss.CONTRAST, 1.0, DEFAULT_FEATURE_DIM, LossSupCon.DEFAULT_TEMPERATURE);
    }

    /**
     * A head with widen 1, feature dim 128, temperature 0.07.
     *
     * @param config the configuration, e.g. {@link AuxNetConfig#C1F2}
     * @param loss   softmax cross-entropy or SupCon
     */
    public AuxClassifierHead(AuxNetConfig config, HeadLoss loss) {
        this(config, loss, 1.0, DEFAULT_FEATURE_DIM, LossSupCon.DEFAULT_TEMPERATURE);
    }

    /**
     * @param config      the configuration
     * @param loss        softmax cross-entropy or SupCon
     * @param widen       multiplier of the conv channels and hidden FC width, {@code > 0}
     * @param featureDim  projection dimension in CONTRAST mode, {@code >= 1} (ignored with SOFTMAX)
     * @param temperature SupCon temperature, {@code > 0} (ignored with SOFTMAX)
     */
    @JsonCreator
    public AuxClassifierHead(@JsonProperty("config") AuxNetConfig config, @JsonProperty("loss") HeadLoss loss,
                             @JsonProperty("widen") double widen, @JsonProperty("featureDim") int featureDim,
                             @JsonProperty("temperature") double temperature) {
        if (config == null || loss == null) {
            throw new IllegalArgumentException("AuxClassifierHead needs a config (e.g. AuxNetConfig.C1F2) and a loss "
                    + "(HeadLoss.SOFTMAX or CONTRAST), got config=" + config + ", loss=" + loss);
        }
        if (!(widen > 0) || (int) (HIDDEN * widen) < 1) {
            throw new IllegalArgumentException("AuxClassifierHead widen must be > 0, got " + widen);
        }
        if (loss == HeadLoss.CONTRAST && featureDim < 1) {
            throw new IllegalArgumentException("AuxClassifierHead featureDim must be >= 1 in CONTRAST mode (the "
                    + "reference uses 128), got " + featureDim);
        }
        if (loss == HeadLoss.CONTRAST && (!(temperature > 0) || Double.isInfinite(temperature))) {
            throw new IllegalArgumentException("AuxClassifierHead temperature must be finite and > 0 (the reference "
                    + "uses 0.07), got " + temperature);
        }
        this.config = config;
        this.loss = loss;
        this.widen = widen;
        this.featureDim = featureDim;
        this.temperature = temperature;
    }

    @Override
    public Target target() {
        return Target.CLASS_LABELS;
    }

    /** Hidden FC width, {@code int(128 * widen)}. */
    public int hiddenWidth() {
        return (int) (HIDDEN * widen);
    }

    /**
     * Output channels and strides of the head's convolutions for an input with {@code inChannels} channels.
     *
     * @return {@code [i][0]} = output channels, {@code [i][1]} = stride of conv i
     */
    public long[][] convPlan(long inChannels) {
        long[][] plan = new long[config.convs()][2];
        long base = inChannels;
        for (int i = 0; i < config.convs(); i++) {
            boolean grow = base < DOUBLING_LIMIT;
            base = grow ? 2 * base : base;
            plan[i][0] = Math.max(1, (long) (base * widen));
            plan[i][1] = grow ? 2 : 1;
        }
        return plan;
    }

    @Override
    public String attach(ComputationGraphConfiguration.GraphBuilder graph, String input, InputType inputType,
                         String prefix, double lossWeight, HeadContext context) {
        String cur = input;
        long features;
        if (config.convs() > 0 || inputType instanceof InputType.InputTypeConvolutional) {
            InputType.InputTypeConvolutional in = HeadLayers.requireConv(inputType, "AuxClassifierHead " + config.code());
            long ch = in.getChannels();
            long[][] plan = convPlan(ch);
            for (int i = 0; i < plan.length; i++) {
                String n = String.valueOf(i + 1);
                graph.addLayer(prefix + "conv" + n, HeadLayers.conv3x3(ch, plan[i][0], (int) plan[i][1], false), cur);
                graph.addLayer(prefix + "bn" + n, HeadLayers.batchNorm(plan[i][0]), prefix + "conv" + n);
                graph.addLayer(prefix + "relu" + n, new ActivationLayer.Builder().activation(Activation.RELU).build(),
                        prefix + "bn" + n);
                cur = prefix + "relu" + n;
                ch = plan[i][0];
            }
            graph.addLayer(prefix + "gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), cur);
            cur = prefix + "gap";
            features = ch;
        } else if (inputType instanceof InputType.InputTypeFeedForward) {
            // 0cXf on an already pooled vector: no pooling needed.
            features = ((InputType.InputTypeFeedForward) inputType).getSize();
        } else {
            throw new IllegalArgumentException("AuxClassifierHead " + config.code() + " needs a convolutional or "
                    + "feed-forward input, got " + inputType);
        }
        if (loss == HeadLoss.SOFTMAX && context.getNumClasses() < 2) {
            throw new IllegalArgumentException("AuxClassifierHead in SOFTMAX mode needs numClasses >= 2 in the "
                    + "HeadContext, got " + context.getNumClasses());
        }
        for (int j = 1; j < config.fcs(); j++) {
            graph.addLayer(prefix + "fc" + j, new DenseLayer.Builder()
                    .nIn(features).nOut(hiddenWidth())
                    .activation(Activation.RELU)
                    .weightInit(new TorchDefaultUniform())
                    .hasBias(true).biasInit(0.0)
                    .build(), cur);
            cur = prefix + "fc" + j;
            features = hiddenWidth();
        }
        ILossFunction lossFn;
        long nOut;
        Activation act;
        if (loss == HeadLoss.SOFTMAX) {
            // Clip eps 0: exact log-softmax as PyTorch's CrossEntropyLoss (DL4J clips at 1e-10 by default).
            lossFn = new ScaledLoss(new LossMCXENT(0.0, null), lossWeight);
            nOut = context.getNumClasses();
            act = Activation.SOFTMAX;
        } else {
            lossFn = new LossSupCon(temperature, lossWeight);
            nOut = featureDim;
            act = Activation.IDENTITY;
        }
        String out = prefix + "out";
        graph.addLayer(out, new OutputLayer.Builder(lossFn)
                .nIn(features).nOut(nOut)
                .activation(act)
                .weightInit(new TorchDefaultUniform())
                .hasBias(true).biasInit(0.0)
                .build(), cur);
        return out;
    }

    @Override
    public Set<String> torchBiasLayers(String prefix) {
        Set<String> names = new LinkedHashSet<>();
        for (int j = 1; j < config.fcs(); j++) {
            names.add(prefix + "fc" + j);
        }
        names.add(prefix + "out");
        return names;
    }
}
