import dev.infopro.dl4j.backend.IdleNativeThreads;
import dev.infopro.dl4j.backend.NativeHeap;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.models.CutPresets;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Arrays;

/**
 * What handing freed native memory back after every module costs in time: one K = 4 model (InfoPro (Contrast), or
 * Greedy SL, whose heads cost next to nothing, so that its steps show the module boundaries' own cost) with
 * the tool's benchmark settings, its steps alternating between release on and off (so both see the same machine
 * load), reporting both medians and the median of the pairwise ratios. Run from the repository root after building
 * the tool jar, with the allocator to test (tcmalloc through LD_PRELOAD, or glibc's malloc without):
 * <pre>
 * java -cp examples/target/infopro.jar benchmarks/ReleaseAB.java DEPTH CxHxW [steps] [contrast|greedy] [warm-up pairs]
 * </pre>
 */
public class ReleaseAB {
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] args) {
        // idle native threads wait briefly, as in the infopro tool (docs/benchmarks.md, "OpenMP's idle threads")
        IdleNativeThreads.preferShortWaits();
        int depth = Integer.parseInt(args[0]);
        long[] chw = Arrays.stream(args[1].split("x")).mapToLong(Long::parseLong).toArray();
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        boolean greedy = args.length > 3 && args[3].equals("greedy");
        LocalLearning method = greedy ? LocalLearning.greedy() : LocalLearning.infoProContrast();
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        CifarResNet net = CifarResNet.builder().depth(depth).channels(chw[0]).height(chw[1]).width(chw[2])
                .numClasses(10).build();
        DataSet ds = net.syntheticBatch(128, 1);
        LocalModuleGraph g = LocalModuleGraph.builder(net.configuration())
                .inputTypes(InputType.convolutional(chw[1], chw[2], chw[0])).updater(new TorchSgd(0.1))
                .weightDecay(1e-4)
                .method(method).lambdas(greedy ? null : LambdaSchedule.linear(5, 1, 5, 1))
                .cutAfter(CutPresets.cuts(depth, 4, false, false).toArray(new String[0])).build();
        double[] on = new double[steps];
        double[] off = new double[steps];
        for (int i = -warmup; i < steps; i++) {
            g.setReleaseNativeMemory(true);
            long t0 = System.nanoTime();
            g.fit(ds);
            long t1 = System.nanoTime();
            g.setReleaseNativeMemory(false);
            g.fit(ds);
            long t2 = System.nanoTime();
            if (i >= 0) {
                on[i] = (t1 - t0) / 1e6;
                off[i] = (t2 - t1) / 1e6;
            }
        }
        double[] ratios = new double[steps];
        for (int i = 0; i < steps; i++) {
            ratios[i] = on[i] / off[i];
        }
        System.out.printf("allocator %s, ResNet-%d %s %s K=4: release on median %.0f ms (min %.0f) | off median %.0f ms"
                        + " (min %.0f) | on/off: median of pairwise ratios %.3f%n", NativeHeap.allocator(), depth,
                args[1], method.getKind(), median(on), Arrays.stream(on).min().orElse(0), median(off),
                Arrays.stream(off).min().orElse(0), median(ratios));
    }
}
