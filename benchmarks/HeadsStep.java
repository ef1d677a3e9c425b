import dev.infopro.dl4j.backend.IdleNativeThreads;
import dev.infopro.dl4j.heads.AuxClassifierHead;
import dev.infopro.dl4j.heads.AuxNetConfig;
import dev.infopro.dl4j.heads.HeadContext;
import dev.infopro.dl4j.heads.HeadLoss;
import dev.infopro.dl4j.heads.ReconstructionHead;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * One training step of InfoPro (Contrast)'s two heads alone (decoder with BCE, 1c2f projection head with SupCon,
 * lambdas 5 and 1), on a random cut activation of shape CxHxW, batch 128, reconstructing a random image of shape
 * IMAGE. The PyTorch twin is benchmarks/pytorch_heads.py. Run from the repository root after building the tool jar:
 * <pre>
 * java -cp examples/target/infopro.jar benchmarks/HeadsStep.java 16x28x28 1x28x28 [steps] [both|decoder|projection] [warm-up]
 * </pre>
 * The warm-up (default 100 steps, on both sides) lets the JIT compile the layers' code: the heads are a few layers,
 * so each step calls it only a few times (docs/benchmarks.md, "Warm-up"); the projection head needs about 1,000
 * steps. The gradient at the cut is computed, as in a real step, where it flows on into the module; the PyTorch twin
 * computes it too.
 */
public class HeadsStep {
    public static void main(String[] args) {
        // idle native threads wait briefly, as in the infopro tool (docs/benchmarks.md, "OpenMP's idle threads")
        IdleNativeThreads.preferShortWaits();
        long[] h = Arrays.stream(args[0].split("x")).mapToLong(Long::parseLong).toArray();
        long[] img = Arrays.stream(args[1].split("x")).mapToLong(Long::parseLong).toArray();
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        String which = args.length > 3 ? args[3] : "both";
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 100;
        int batch = 128;
        HeadContext ctx = HeadContext.builder().numClasses(10).imageChannels(img[0]).imageHeight(img[1])
                .imageWidth(img[2]).build();
        ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).updater(new TorchSgd(0.1)).graphBuilder().addInputs("h");
        InputType in = InputType.convolutional(h[1], h[2], h[0]);
        java.util.List<String> outs = new java.util.ArrayList<>();
        if (!which.equals("projection")) {
            outs.add(new ReconstructionHead().attach(gb, "h", in, "d_", 5.0, ctx));
        }
        if (!which.equals("decoder")) {
            outs.add(new AuxClassifierHead(AuxNetConfig.C1F2, HeadLoss.CONTRAST).attach(gb, "h", in, "p_", 1.0, ctx));
        }
        gb.setOutputs(outs.toArray(new String[0])).setInputTypes(in);
        // as the engine builds a module's graph (GraphSplitter, GraphModuleTrainer): ReLUs in place, helpers patched
        ComputationGraphConfiguration conf = gb.build();
        dev.infopro.dl4j.planning.InPlaceActivations.apply(conf);
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        dev.infopro.dl4j.backend.OneDnnHelpers.patch(g);
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, h[0], h[1], h[2]);
        INDArray image = Nd4j.rand(DataType.FLOAT, batch, img[0], img[1], img[2]);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % 10, 1.0);
        }
        MultiDataSet ds = new MultiDataSet(new INDArray[]{x}, which.equals("both") ? new INDArray[]{image, y}
                : new INDArray[]{which.equals("decoder") ? image : y});
        double[] ms = new double[steps];
        for (int i = -warmup; i < steps; i++) {
            long t0 = System.nanoTime();
            g.fit(ds);
            if (i >= 0) {
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        System.out.printf("{\"framework\": \"infopro-dl4j\", \"cut\": \"%s\", \"heads\": \"%s\", \"median_step_ms\": %.1f,"
                + " \"min_step_ms\": %.1f}%n", args[0], which, ms[steps / 2], ms[0]);
    }
}
