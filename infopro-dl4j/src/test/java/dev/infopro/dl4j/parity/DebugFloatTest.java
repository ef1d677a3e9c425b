package dev.infopro.dl4j.parity;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.io.TorchWeightImport;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import java.nio.file.Path;
import java.util.*;

class DebugFloatTest {
    ComputationGraph build(DataType dt, Path npy) {
        Nd4j.setDefaultDataTypes(dt, dt);
        ComputationGraph graph = CifarResNet.builder().depth(8).channels(1).height(28).width(28).numClasses(10).dataType(dt).build().init();
        LocalModuleGraph net = LocalModuleGraph.builder(graph).inputTypes(InputType.convolutional(28, 28, 1)).cutAfter("s1b0")
                .method(LocalLearning.infoProContrast()).lambdas(LambdaSchedule.explicit(new double[]{5, 1}))
                .inputNormalization(new double[]{0.28604060411453247}, new double[]{0.3530242443084717})
                .updater(new TorchSgd(0.1, null, 0.9, true)).weightDecay(1e-4).build();
        Map<String, String> mapping = new LinkedHashMap<>(TorchWeightImport.cifarResNetMapping(8));
        mapping.putAll(TorchWeightImport.infoProHeadMapping(0));
        TorchWeightImport.load(TorchWeightImport.readNpyDirectory(npy, "init."), net, mapping);
        return net.getModules().get(0);
    }
    @Test
    void compare() {
        Path npy = ParityTest.fixtureDir().resolve("npy");
        ComputationGraph d = build(DataType.DOUBLE, npy);
        INDArray x = Nd4j.createFromNpyFile(npy.resolve("x.npy").toFile());
        Map<String, INDArray> ad = d.feedForward(new INDArray[]{x.castTo(DataType.DOUBLE)}, true, false);
        ComputationGraph f = build(DataType.FLOAT, npy);
        Map<String, INDArray> af = f.feedForward(new INDArray[]{x.castTo(DataType.FLOAT)}, true, false);
        for (String k : ad.keySet()) {
            INDArray a = ad.get(k), b = af.get(k).castTo(DataType.DOUBLE);
            System.out.println("DBG " + k + " maxabs " + a.amaxNumber() + " diff " + a.sub(b).amaxNumber() + " " + Arrays.toString(a.shape()) + " " + Arrays.toString(b.shape()));
        }
        System.out.println("DBG helpers " + f.getLayer("m0h0_conv1").getHelper() + " " + f.getLayer("m0h0_bn").getHelper()+ " " + f.getLayer("m0h0_conv2").getHelper());
    }
}
