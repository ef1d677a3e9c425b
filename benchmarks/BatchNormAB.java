import dev.infopro.dl4j.backend.IdleNativeThreads;
import dev.infopro.dl4j.backend.OneDnnHelpers;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.LocalModuleGraphBuilder;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.models.CutPresets;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;

/**
 * Side by side in one JVM: a CIFAR ResNet training step (batch 128) with batch norm on DL4J's oneDNN helper (before)
 * and on this library's FusedBatchNormHelper (after), end to end and InfoPro (Contrast) K = 4 with the tool's
 * benchmark settings. Steps of the two networks alternate, so both see the same machine load. Run from the
 * repository root after building the tool jar:
 * <pre>
 * java -cp examples/target/infopro.jar benchmarks/BatchNormAB.java [steps] [depth] [input CxHxW]
 * </pre>
 * (defaults: 10 steps, ResNet-20, 1x28x28).
 */
public class BatchNormAB {

    static LocalModuleGraph build(CifarResNet net, int depth, int k, boolean fused, DataSet ds) {
        System.setProperty(OneDnnHelpers.FUSED_BATCH_NORM_PROPERTY, String.valueOf(fused)); // read when modules are built
        LocalModuleGraphBuilder b = LocalModuleGraph.builder(net.configuration())
                .inputTypes(InputType.convolutional(net.getHeight(), net.getWidth(), net.getChannels()))
                .updater(new TorchSgd(0.1)).weightDecay(1e-4);
        if (k > 1) {
            b.method(LocalLearning.infoProContrast()).lambdas(LambdaSchedule.linear(5, 1, 5, 1))
                    .cutAfter(CutPresets.cuts(depth, k, false, false).toArray(new String[0]));
        }
        LocalModuleGraph g = b.build();
        g.fit(ds); // builds the modules while the property holds; also the first warm-up step
        return g;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] args) {
        // idle native threads wait briefly, as in the infopro tool (docs/benchmarks.md, "OpenMP's idle threads")
        IdleNativeThreads.preferShortWaits();
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int depth = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int[] chw = Arrays.stream((args.length > 2 ? args[2] : "1x28x28").split("x")).mapToInt(Integer::parseInt)
                .toArray();
        CifarResNet net = CifarResNet.builder().depth(depth).channels(chw[0]).height(chw[1]).width(chw[2])
                .numClasses(10).build();
        DataSet ds = net.syntheticBatch(128, 1);
        for (int k : new int[]{1, 4}) {
            LocalModuleGraph before = build(net, depth, k, false, ds);
            LocalModuleGraph after = build(net, depth, k, true, ds);
            double[] a = new double[steps];
            double[] b = new double[steps];
            for (int i = -1; i < steps; i++) { // one more warm-up step each
                long t0 = System.nanoTime();
                before.fit(ds);
                long t1 = System.nanoTime();
                after.fit(ds);
                long t2 = System.nanoTime();
                if (i >= 0) {
                    a[i] = (t1 - t0) / 1e6;
                    b[i] = (t2 - t1) / 1e6;
                }
            }
            double[] ratios = new double[steps];
            for (int i = 0; i < steps; i++) {
                ratios[i] = b[i] / a[i];
            }
            System.out.printf("K=%d: oneDNN batch norm median %.0f ms (min %.0f) | fused batch norm median %.0f ms (min %.0f)"
                            + " | after/before: median of pairwise ratios %.3f, ratio of medians %.3f%n", k, median(a),
                    Arrays.stream(a).min().orElse(0), median(b), Arrays.stream(b).min().orElse(0), median(ratios),
                    median(b) / median(a));
        }
    }
}
