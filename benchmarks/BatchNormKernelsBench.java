import dev.infopro.dl4j.backend.IdleNativeThreads;
import dev.infopro.dl4j.backend.OneDnnHelpers;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * One batch-norm layer alone, on the helper the engine installs (FusedBatchNormHelper, via OneDnnHelpers.patch): the
 * training forward pass and the backward pass on a float [128, C, H, W] tensor, 20 calls each per round, 20 rounds;
 * prints every round and the fastest, in ms per call and ns per element. Run from the repository root after building
 * the tool jar, once per jar to compare two versions:
 * <pre>
 * GOMP_SPINCOUNT=1000 java -cp examples/target/infopro.jar benchmarks/BatchNormKernelsBench.java [C] [H=W]
 * </pre>
 * (defaults: 16 channels, 28x28, the first stage of ResNet-20 on 1x28x28).
 */
public class BatchNormKernelsBench {
    public static void main(String[] args) {
        // idle native threads wait briefly, as in the infopro tool (docs/benchmarks.md, "OpenMP's idle threads")
        IdleNativeThreads.preferShortWaits();
        int c = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int hw = args.length > 1 ? Integer.parseInt(args[1]) : 28;
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .graphBuilder().addInputs("in")
                .addLayer("bn", new BatchNormalization.Builder().nOut(c).build(), "in")
                .setOutputs("bn").setInputTypes(InputType.convolutional(hw, hw, c)).build());
        graph.init();
        graph.initGradientsView(); // the layer writes its parameter gradients into views of it
        OneDnnHelpers.patch(graph);
        System.out.println("helper: " + OneDnnHelpers.helpersOf(graph));
        Layer bn = graph.getLayer("bn");
        INDArray x = Nd4j.rand(DataType.FLOAT, 128, c, hw, hw);
        INDArray dy = Nd4j.rand(DataType.FLOAT, 128, c, hw, hw);
        // one workspace for every array, as in training: after the first call no array costs fresh pages
        WorkspaceConfiguration ws = WorkspaceConfiguration.builder().policyLearning(LearningPolicy.FIRST_LOOP)
                .policyAllocation(AllocationPolicy.STRICT).build();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.builder().defaultWorkspace("bench", ws).build();
        double bestF = Double.MAX_VALUE;
        double bestB = Double.MAX_VALUE;
        for (int round = 0; round < 20; round++) {
            long forward = 0;
            long backward = 0;
            for (int r = 0; r < 20; r++) {
                try (MemoryWorkspace scope = Nd4j.getWorkspaceManager().getAndActivateWorkspace(ws, "bench")) {
                    long t0 = System.nanoTime();
                    bn.setInput(x, mgr);
                    bn.activate(true, mgr);
                    long t1 = System.nanoTime();
                    bn.backpropGradient(dy, mgr);
                    long t2 = System.nanoTime();
                    forward += t1 - t0;
                    backward += t2 - t1;
                }
            }
            double f = forward / 20e6;
            double b = backward / 20e6;
            bestF = Math.min(bestF, f);
            bestB = Math.min(bestB, b);
            System.out.printf("round %d: forward %.2f ms, backward %.2f ms%n", round, f, b);
        }
        System.out.printf("fastest of 20 rounds, %s: forward %.2f ms (%.2f ns/element), backward %.2f ms"
                + " (%.2f ns/element)%n", Arrays.toString(x.shape()), bestF, bestF * 1e6 / x.length(), bestB,
                bestB * 1e6 / x.length());
    }
}
