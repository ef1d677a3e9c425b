package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffNetwork;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * docs/samediff.md's second example, runnable: a user's existing SameDiff graph (written with SameDiff's own ops and
 * saved to a file, as a model a user already has), loaded, cut by variable names into K = 2 local modules, trained
 * with InfoPro (Contrast) on the embedded Fashion-MNIST subset, and exported as one plain SameDiff graph. Run with
 * {@code java -cp examples/target/infopro.jar dev.infopro.dl4j.examples.SameDiffGraphQuickStart}.
 */
public final class SameDiffGraphQuickStart {
    private SameDiffGraphQuickStart() {
    }

    /**
     * Runs the example (see the class comment).
     *
     * @param args none
     * @throws Exception when the data cannot be read or a file cannot be written
     */
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("infopro-graph");
        File userModel = dir.resolve("user-model.fb").toFile();
        userGraph(42).save(userModel, true); // stands for the model file the user already has
        SameDiffLocalModel local = train(userModel, 2000, 2);
        File out = new File("samediff-graph-quickstart.fb");
        local.toSameDiff().save(out, true);
        System.out.println("plain SameDiff graph written to " + out.getAbsolutePath());
    }

    /**
     * The user's graph: image placeholder {@code image} [N, 1, 28, 28], three 3x3 convolutions with ReLU (the second
     * with stride 2), global average pooling, a dense layer to the 10 logits {@code logits}, and a softmax
     * cross-entropy {@code loss} against the placeholder {@code label}. No batch norm.
     */
    public static SameDiff userGraph(long seed) {
        Nd4j.getRandom().setSeed(seed);
        DataType dt = DataType.FLOAT;
        SameDiff sd = SameDiff.create();
        SDVariable image = sd.placeHolder("image", dt, -1, 1, 28, 28);
        SDVariable label = sd.placeHolder("label", dt, -1, 10);
        SDVariable h = convRelu(sd, image, "conv1", 1, 16, 1);
        h = convRelu(sd, h, "conv2", 16, 32, 2);
        h = convRelu(sd, h, "conv3", 32, 32, 1);
        SDVariable pooled = sd.mean("pool", h, 2, 3);
        SDVariable w = sd.var("fc_W", Nd4j.randn(dt, 32, 10).muli(Math.sqrt(1.0 / 32)));
        SDVariable logits = sd.math.add("logits", sd.mmul(pooled, w), sd.var("fc_b", Nd4j.zeros(dt, 10)));
        sd.loss.softmaxCrossEntropy("loss_ce", label, logits, null);
        return sd;
    }

    // conv (He-initialised, SameDiff's [kH, kW, in, out] layout) + bias, then a ReLU named <name>_relu
    private static SDVariable convRelu(SameDiff sd, SDVariable x, String name, int in, int out, int stride) {
        Conv2DConfig c = Conv2DConfig.builder().kH(3).kW(3).sH(stride).sW(stride).pH(1).pW(1).dataFormat("NCHW")
                .build();
        SDVariable w = sd.var(name + "_W", Nd4j.randn(DataType.FLOAT, 3, 3, in, out).muli(Math.sqrt(2.0 / (9 * in))));
        SDVariable b = sd.var(name + "_b", Nd4j.zeros(DataType.FLOAT, out));
        return sd.nn.relu(name + "_relu", sd.cnn.conv2d(name, x, w, b, c), 0.0);
    }

    /**
     * Loads the graph in {@code file}, cuts it after {@code conv2_relu} and trains it as the other quick start
     * trains its network; prints the test accuracy.
     */
    public static SameDiffLocalModel train(File file, int trainImages, int epochs) throws Exception {
        SameDiff graph = SameDiff.load(file, true);
        SameDiffNetwork net = SameDiffNetwork.fromGraph(graph)
                .input("image")
                .output("logits")
                .loss("loss_ce", "label")        // the last module trains with the graph's own loss
                .build();
        System.out.println("valid cuts: " + net.getUnitNames().subList(0, net.getUnitNames().size() - 1));
        return SameDiffQuickStart.trainOnFashionMnist(net, "conv2_relu", trainImages, epochs); // K = 2
    }
}
