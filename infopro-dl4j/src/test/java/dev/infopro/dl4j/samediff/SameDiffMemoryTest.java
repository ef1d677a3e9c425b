package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local training's memory promise on the SameDiff path, on a small float ResNet (ResNet-14, 16x16, batch 16): the peak of a K = 4 sequential step
 * is clearly below the K = 1 step, and nothing of a step stays alive after it. Measured with ND4J's count of
 * allocated array bytes ({@code getDeviceCouner}), sampled by a thread during the step: it counts live arrays, not
 * RSS, so neither the JVM heap nor the allocator's retained pages blur it. Before the trainer dropped its sessions,
 * each module's gradient session kept its whole step alive and K = 4 peaked above K = 1 (docs/samediff.md).
 */
class SameDiffMemoryTest {
    private static final int BATCH = 16;

    /** Array bytes at the peak of the second step and after it, above the bytes before the model was built. */
    private record Figures(long peak, long retained) {
    }

    private static long arrayBytes() {
        return Nd4j.getEnvironment().getDeviceCouner(0);
    }

    /** Collects, and gives ND4J's deallocator thread time to free what the collection released. */
    private static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    private static SameDiffLocalModel model(boolean local) {
        CifarResNet spec = CifarResNet.builder().depth(14).channels(3).height(16).width(16).numClasses(10)
                .dataType(DataType.FLOAT).build();
        SameDiffLocalModel.Builder b = SameDiffLocalModel.builder(SameDiffResNet.of(spec))
                .updater(new TorchSgd(0.1)).weightDecay(1e-4).seed(3);
        if (local) {
            b.method(LocalLearning.infoProContrast()).cutAfter("s1b0", "s2b0", "s3b0")
                    .lambdas(LambdaSchedule.linear(5, 1, 5, 1));
        } else {
            b.method(LocalLearning.endToEnd());
        }
        return b.build();
    }

    private static Figures measure(boolean local) throws InterruptedException {
        // The baseline is taken before the model exists: arrays a session kept from the warm-up step count too.
        settle();
        long before = arrayBytes();
        SameDiffLocalModel m = model(local);
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, 16, 16);
        INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, 10);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, i % 10, 1.0);
        }
        DataSet batch = new DataSet(x, y);
        m.fit(batch); // warm-up: graphs, gradient functions and updater state exist from here on
        settle();
        AtomicLong peak = new AtomicLong(before);
        AtomicBoolean running = new AtomicBoolean(true);
        // A sampler rather than a hook: the peak is inside SameDiff's calculateGradientsAndOutputs.
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                peak.accumulateAndGet(arrayBytes(), Math::max);
                LockSupport.parkNanos(100_000); // 0.1 ms: a spinning sampler would take a core from the step
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        m.fit(batch);
        running.set(false);
        sampler.join();
        settle();
        long retained = arrayBytes() - before;
        return new Figures(peak.get() - before, retained);
    }

    @Test
    void fourLocalModulesPeakBelowEndToEndAndKeepNothingAfterTheStep() throws InterruptedException {
        Figures e2e = measure(false);
        Figures k4 = measure(true);
        System.out.println("SameDiff ResNet-14 batch " + BATCH + " array bytes: K=1 " + e2e + ", K=4 " + k4);
        assertTrue(e2e.peak() > 10L << 20, "the K=1 step should allocate well over 10 MiB: " + e2e);
        // Measured 0.76x here (0.62x on ResNet-20 at 32x32); keeping the sessions made it 1.35x.
        assertTrue(k4.peak() < 0.9 * e2e.peak(), "K=4 peak " + k4.peak() + " vs K=1 peak " + e2e.peak());
        // A kept step would hold about its whole peak; parameters, heads and updater state are well under 10% here.
        assertTrue(e2e.retained() < e2e.peak() / 10, "K=1 kept arrays after the step: " + e2e);
        assertTrue(k4.retained() < e2e.peak() / 10, "K=4 kept arrays after the step: " + k4);
    }
}
