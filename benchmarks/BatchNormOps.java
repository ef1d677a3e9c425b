import dev.infopro.dl4j.backend.IdleNativeThreads;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * Cost of libnd4j's batch-norm ops on the shapes of a CIFAR ResNet-20 on 28x28 inputs, batch 128 (docs/benchmarks.md,
 * "Where the time goes"). Run from the repository root after building the tool jar:
 * <pre>
 * OMP_NUM_THREADS=1 java -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx2 \
 *     -cp examples/target/infopro.jar benchmarks/BatchNormOps.java
 * </pre>
 * Prints, per shape, the minimum over 15 calls of the calling thread's CPU time (ms): batchnorm_bp with oneDNN and
 * with the generic kernel (platform helpers off), the batch mean and variance as DL4J's oneDNN helper computes them,
 * and a ReLU into a new array for scale.
 */
public class BatchNormOps {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    static double cpuMs(Runnable r) {
        for (int i = 0; i < 3; i++) {
            r.run();
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 15; i++) {
            long t = CPU.getCurrentThreadCpuTime();
            r.run();
            best = Math.min(best, (CPU.getCurrentThreadCpuTime() - t) / 1e6);
        }
        return best;
    }

    public static void main(String[] args) {
        // idle native threads wait briefly, as in the infopro tool (docs/benchmarks.md, "OpenMP's idle threads")
        IdleNativeThreads.preferShortWaits();
        long[][] shapes = {{128, 16, 28, 28}, {128, 32, 14, 14}, {128, 64, 7, 7}};
        for (long[] s : shapes) {
            int c = (int) s[1];
            INDArray x = Nd4j.randn(DataType.FLOAT, s).muli(2).addi(0.5);
            INDArray eps = Nd4j.randn(DataType.FLOAT, s);
            INDArray mean = x.mean(0, 2, 3);
            INDArray var = x.var(false, 0, 2, 3);
            INDArray gamma = Nd4j.rand(DataType.FLOAT, c).addi(0.5);
            INDArray beta = Nd4j.rand(DataType.FLOAT, c);
            INDArray out = x.ulike();
            Runnable bp = () -> Nd4j.exec(DynamicCustomOp.builder("batchnorm_bp")
                    .addInputs(x, mean, var, gamma, beta, eps).addIntegerArguments(1, 1, 1)
                    .addFloatingPointArguments(1e-5)
                    .addOutputs(out, mean.ulike(), var.ulike(), gamma.ulike(), beta.ulike()).build());
            Nd4j.getEnvironment().allowHelpers(true);
            double oneDnn = cpuMs(bp);
            Nd4j.getEnvironment().allowHelpers(false);
            double generic = cpuMs(bp);
            Nd4j.getEnvironment().allowHelpers(true);
            double stats = cpuMs(() -> {
                x.mean(0, 2, 3);
                x.var(false, 0, 2, 3);
            });
            double relu = cpuMs(() -> Nd4j.exec(new RectifiedLinear(x, x.ulike(), 0.0)));
            System.out.printf("%s: batchnorm_bp oneDNN %.2f ms, generic %.2f ms | batch mean+variance %.2f ms"
                    + " | relu %.2f ms%n", Arrays.toString(s), oneDnn, generic, stats, relu);
        }
    }
}
