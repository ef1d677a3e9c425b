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
 * Side by side in one JVM: a ResNet-20 (1x28x28, batch 128) training step with batch norm's backward pass on
 * DL4J's oneDNN kernel (before) and on libnd4j's generic kernel (after, GenericBatchNormBackprop), end to end and
 * InfoPro (Contrast) K = 4 with the tool's benchmark settings. Steps of the two networks alternate, so both see the
 * same machine load. Run from the repository root after building the tool jar:
 * <pre>
 * java -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx2 -cp examples/target/infopro.jar \
 *     benchmarks/BatchNormBackwardAB.java [steps]
 * </pre>
 */
public class BatchNormBackwardAB {

    static LocalModuleGraph build(CifarResNet net, int k, boolean generic) {
        System.setProperty(OneDnnHelpers.GENERIC_BN_BACKWARD_PROPERTY, String.valueOf(generic)); // read by patch() at build
        LocalModuleGraphBuilder b = LocalModuleGraph.builder(net.configuration())
                .inputTypes(InputType.convolutional(28, 28, 1)).updater(new TorchSgd(0.1)).weightDecay(1e-4);
        if (k > 1) {
            b.method(LocalLearning.infoProContrast()).lambdas(LambdaSchedule.linear(5, 1, 5, 1))
                    .cutAfter(CutPresets.cuts(20, k, false, false).toArray(new String[0]));
        }
        return b.build();
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        CifarResNet net = CifarResNet.builder().depth(20).channels(1).height(28).width(28).numClasses(10).build();
        DataSet ds = net.syntheticBatch(128, 1);
        for (int k : new int[]{1, 4}) {
            LocalModuleGraph before = build(net, k, false);
            LocalModuleGraph after = build(net, k, true);
            double[] a = new double[steps];
            double[] b = new double[steps];
            for (int i = -2; i < steps; i++) { // two warm-up steps each
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
            System.out.printf("K=%d: oneDNN backward median %.0f ms (min %.0f) | generic backward median %.0f ms (min %.0f)"
                            + " | after/before: median of pairwise ratios %.3f, ratio of medians %.3f%n", k, median(a),
                    Arrays.stream(a).min().orElse(0), median(b), Arrays.stream(b).min().orElse(0), median(ratios),
                    median(b) / median(a));
        }
    }
}
