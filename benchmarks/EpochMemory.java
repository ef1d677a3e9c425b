/*
 * Per-epoch memory of a ResNet-20 run on Fashion-MNIST (docs/benchmarks/memory.md, section 8): trains through
 * LocalTrainer (evaluation and a checkpoint after every epoch, as `infopro train` does) and prints, per epoch, the
 * trainer's peak RSS and, sampled every 100 ms during training and evaluation, RSS, JVM heap, ND4J's array and
 * workspace counters and glibc's mallinfo2 (bytes in use, free in the arenas, mapped on their own), both their
 * maxima and their values at the sample with the largest RSS.
 *
 *   OMP_NUM_THREADS=1 java -Dtest=256 -cp examples/target/infopro.jar benchmarks/EpochMemory.java \
 *       infopro|e2e K EPOCHS TRAIN_IMAGES BATCH [ckpt]
 *
 * -Dtest: test images (default 1000); -Ddata: the dataset (default fashion-mnist:shared/data/fashion-mnist).
 */
import dev.infopro.dl4j.backend.IdleNativeThreads;
import dev.infopro.dl4j.checkpoint.CheckpointManager;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.*;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.LocalModuleGraphBuilder;
import dev.infopro.dl4j.memory.ProcessMemory;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.models.CutPresets;
import dev.infopro.dl4j.optim.TorchSgd;
import dev.infopro.dl4j.training.*;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.enums.AllocationKind;
import org.nd4j.linalg.api.memory.AllocationsTracker;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import java.nio.file.*;
import java.util.*;

public class EpochMemory {
    public interface C extends com.sun.jna.Library {
        C I = (C) com.sun.jna.Native.loadLibrary("c", C.class);
        MI.ByValue mallinfo2();
    }
    public static class MI extends com.sun.jna.Structure {
        public static class ByValue extends MI implements com.sun.jna.Structure.ByValue {}
        protected java.util.List<String> getFieldOrder() { return java.util.List.of("arena","ordblks","smblks","hblks","hblkhd","usmblks","fsmblks","uordblks","fordblks","keepcost"); }
        public long arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }
    static volatile long[] atMax = new long[9];
    static volatile long[] max = new long[9];
    static String fmt(long b) { return String.format("%.0f", b / 1048576.0); }
    static long[] sample() {
        Runtime rt = Runtime.getRuntime();
        return new long[]{ProcessMemory.currentRssBytes(), rt.totalMemory(), rt.totalMemory() - rt.freeMemory(),
                Pointer.totalBytes(), Nd4j.getEnvironment().getDeviceCouner(0) ,
                AllocationsTracker.getInstance().bytesOnDevice(AllocationKind.WORKSPACE, 0), 0, 0, 0};
    }
    static long[] sampleM() {
        long[] s = sample(); MI m = C.I.mallinfo2();
        s[6] = m.uordblks; s[7] = m.fordblks; s[8] = m.hblkhd; return s;
    }
    static String line(long[] s) {
        return "rss=" + fmt(s[0]) + " heapCommitted=" + fmt(s[1]) + " heapUsed=" + fmt(s[2]) + " javacppTotal="
                + fmt(s[3]) + " nd4jArrays=" + fmt(s[4]) + " workspaces=" + fmt(s[5]) + " mallocInUse=" + fmt(s[6]) + " mallocFree=" + fmt(s[7]) + " mmapped=" + fmt(s[8]);
    }
    public static void main(String[] a) throws Exception {
        // idle native threads wait briefly, as in the infopro tool (docs/benchmarks.md, "OpenMP's idle threads")
        IdleNativeThreads.preferShortWaits();
        String method = a[0]; int k = Integer.parseInt(a[1]); int epochs = Integer.parseInt(a[2]);
        int n = Integer.parseInt(a[3]); int batch = Integer.parseInt(a[4]); boolean ckpt = a.length > 5 && a[5].equals("ckpt");
        DatasetSplits d = Datasets.load(System.getProperty("data", "fashion-mnist:shared/data/fashion-mnist"));
        d = d.toBuilder().train(d.getTrain().subset(n, 7)).test(d.getTest().subset(Integer.getInteger("test", 1000), 7)).build();
        Nd4j.getRandom().setSeed(7);
        ImageDataset tr = d.getTrain();
        ComputationGraph g = CifarResNet.builder().depth(20).channels(1).height(28).width(28).numClasses(10).seed(7).build().init();
        LocalModuleGraphBuilder b = LocalModuleGraph.builder(g).inputTypes(InputType.convolutional(28, 28, 1))
                .updater(new TorchSgd(new org.nd4j.linalg.schedule.FixedSchedule(0.05))).weightDecay(1e-4)
                .inputNormalization(d.getNormalization());
        if (method.equals("e2e")) b.method(LocalLearning.endToEnd());
        else { b.method(LocalLearning.infoProContrast()); b.cutAfter(CutPresets.cuts(20, k, false, false).toArray(new String[0])); }
        LocalModuleGraph m = b.build();
        Thread sampler = new Thread(() -> {
            while (true) {
                long[] s = sampleM();
                synchronized (EpochMemory.class) { if (s[0] > atMax[0]) atMax = s; for (int i = 0; i < s.length; i++) max[i] = Math.max(max[i], s[i]); }
                try { Thread.sleep(100); } catch (InterruptedException e) { return; }
            }
        });
        sampler.setDaemon(true); sampler.start();
        Path out = Files.createTempDirectory("mgck");
        try (ImageDataSetIterator train = d.trainIterator(batch, 7); ImageDataSetIterator test = d.testIterator(batch)) {
            LocalTrainer.Builder tb = LocalTrainer.builder(m).train(train).test(test).epochs(epochs)
                .listener(new TrainerListener() {
                    public void onEpochStart(LocalModuleGraph mm, int e) {
                        synchronized (EpochMemory.class) { Arrays.fill(max, 0); atMax = new long[9]; }
                        System.out.println("E" + (e + 1) + " start " + line(sampleM()));
                    }
                    public void onEpochResult(LocalModuleGraph mm, EpochResult r) {
                        long[] mx; synchronized (EpochMemory.class) { mx = max.clone(); }
                        System.out.println("E" + r.getEpoch() + " trainPeakRSS=" + fmt(r.getPeakRssBytes()) + " acc=" + r.getTestAccuracy()
                            + " s=" + (int) r.getSeconds() + " | after eval " + line(sampleM()) + "\n   max(train+eval) " + line(mx) + "\n   atMaxRss " + line(atMax));
                        StringBuilder ws = new StringBuilder();
                        for (MemoryWorkspace w : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread())
                            ws.append(w.getId()).append('=').append(fmt(w.getCurrentSize())).append(' ');
                        System.out.println("   workspaces: " + ws);
                    }
                });
            if (ckpt) tb.checkpoints(new CheckpointManager(out.resolve("c"), 2), 1);
            tb.build().fit();
        }
    }
}
