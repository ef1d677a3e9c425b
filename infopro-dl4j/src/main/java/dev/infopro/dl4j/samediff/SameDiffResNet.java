package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.heads.SameDiffLayers;
import dev.infopro.dl4j.models.CifarResNet;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The CIFAR ResNet of the reference (depth 6n+2, docs/method.md §2.1) as a {@link SameDiffNetwork}: the same
 * layers, parameter names, layouts and counts as {@link CifarResNet}'s {@code ComputationGraph}, so weights copy
 * between the two by key. Units (the cut points) are {@code stem}, {@code s<stage>b<block>} as in CifarResNet, and
 * {@code fc} (global average pooling and the classifier, producing logits).
 */
public final class SameDiffResNet {
    private static final int[] WIDTHS = {16, 32, 64};

    private SameDiffResNet() {
    }

    /**
     * The network of {@code spec}'s depth, input shape, classes and data type ({@code spec}'s seed and updater are
     * not used: parameters are initialised when module graphs are built, from ND4J's random generator).
     */
    public static SameDiffNetwork of(CifarResNet spec) {
        int n = spec.blocksPerStage();
        SameDiffNetwork.Builder b = SameDiffNetwork.builder(spec.getChannels(), spec.getHeight(), spec.getWidth(),
                        spec.getNumClasses())
                .dataType(spec.getDataType())
                .output(SameDiffOutput.softmaxCrossEntropy());
        long imageChannels = spec.getChannels();
        b.unit("stem", (sd, x, training) -> convBnRelu(sd, x, "stem", imageChannels, WIDTHS[0], training));
        long inC = WIDTHS[0];
        for (int s = 1; s <= 3; s++) {
            long outC = WIDTHS[s - 1];
            for (int k = 0; k < n; k++) {
                int stride = (s > 1 && k == 0) ? 2 : 1;
                String name = CifarResNet.blockName(s, k);
                long in = inC;
                b.unit(name, (sd, x, training) -> basicBlock(sd, x, name, in, outC, stride, training));
                inC = outC;
            }
        }
        long features = inC;
        int classes = spec.getNumClasses();
        b.unit("fc", (sd, x, training) -> SameDiffLayers.dense(sd, x.mean(2, 3), "fc", features, classes));
        return b.build();
    }

    private static SDVariable convBnRelu(SameDiff sd, SDVariable x, String name, long in, long out, boolean training) {
        SDVariable c = SameDiffLayers.conv(sd, x, name + "_conv", in, out, 3, 1, false);
        return sd.nn.relu(SameDiffLayers.batchNorm(sd, c, name + "_bn", out, training), 0.0);
    }

    private static SDVariable basicBlock(SameDiff sd, SDVariable x, String name, long in, long out, int stride,
                                         boolean training) {
        SDVariable c1 = SameDiffLayers.conv(sd, x, name + "_conv1", in, out, 3, stride, false);
        SDVariable a1 = sd.nn.relu(SameDiffLayers.batchNorm(sd, c1, name + "_bn1", out, training), 0.0);
        SDVariable c2 = SameDiffLayers.conv(sd, a1, name + "_conv2", out, out, 3, 1, false);
        SDVariable b2 = SameDiffLayers.batchNorm(sd, c2, name + "_bn2", out, training);
        SDVariable shortcut = x;
        if (stride != 1 || in != out) {
            SDVariable sc = SameDiffLayers.conv(sd, x, name + "_sc_conv", in, out, 1, stride, false);
            shortcut = SameDiffLayers.batchNorm(sd, sc, name + "_sc_bn", out, training);
        }
        return sd.nn.relu(b2.add(shortcut), 0.0);
    }
}
