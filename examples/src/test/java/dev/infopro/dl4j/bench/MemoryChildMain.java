package dev.infopro.dl4j.bench;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.LocalModuleGraphBuilder;
import dev.infopro.dl4j.models.CifarResNet;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Child JVM of {@link ForkedMemoryTest} and {@link OutOfMemoryTest}: args depth, size (HxW), batch, K, steps
 * [, limit bytes]. Trains a float CIFAR ResNet split into K modules (greedy, the Greedy SL head 0c1f: global average
 * pooling and one softmax layer; K = 1 end to end) and prints the figures as one JSON line.
 */
public final class MemoryChildMain {
    public static void main(String[] args) throws Exception {
        int depth = Integer.parseInt(args[0]);
        int size = Integer.parseInt(args[1]);
        int batch = Integer.parseInt(args[2]);
        int k = Integer.parseInt(args[3]);
        int steps = Integer.parseInt(args[4]);
        long limit = args.length > 5 ? Long.parseLong(args[5]) : 0;
        CifarResNet net = CifarResNet.builder().depth(depth).height(size).width(size).build();
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, size, size);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % 10, 1f);
        }
        DataSet ds = new DataSet(x, y);
        MemoryBenchmark.Result r = MemoryBenchmark.measure(() -> {
            LocalModuleGraphBuilder b = LocalModuleGraph.builder(net.configuration())
                    .inputTypes(InputType.convolutional(size, size, 3)).updater(new Sgd(0.01));
            if (k > 1) {
                b.modules(k, SplitStrategy.BALANCED_MEMORY).memoryBatchSize(batch)
                        .method(LocalLearning.greedy());
            }
            return b.build();
        }, ds, steps, limit);
        System.out.println(new ObjectMapper().writeValueAsString(r.toMap()));
    }
}
