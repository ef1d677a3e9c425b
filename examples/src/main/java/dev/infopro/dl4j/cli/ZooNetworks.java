package dev.infopro.dl4j.cli;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.Darknet19;
import org.deeplearning4j.zoo.model.InceptionResNetV1;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.Xception;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@code --arch zoo:NAME}: a network of DL4J's model zoo with random weights ({@code init()}; pretrained weights
 * are never downloaded), built for the dataset's image shape and number of classes. Only the networks that
 * {@code ZooConversionTest} converts are offered, each from the smallest square input it was tested at.
 */
enum ZooNetworks {
    RESNET50("ResNet50", 75),
    VGG16("VGG16", 32),
    DARKNET19("Darknet19", 32),
    SQUEEZENET("SqueezeNet", 32),
    XCEPTION("Xception", 32),
    INCEPTIONRESNETV1("InceptionResNetV1", 80);

    static final String PREFIX = "zoo:";

    /** The zoo class's name, as the user writes it after {@code zoo:}. */
    final String zooName;
    /** The smallest image side it takes (ResNet50's last pooling needs 75, InceptionResNetV1's reduction-B 80). */
    final int minSide;

    ZooNetworks(String zooName, int minSide) {
        this.zooName = zooName;
        this.minSide = minSide;
    }

    /** Whether {@code arch} names a zoo network ({@code zoo:NAME}). */
    static boolean isZoo(String arch) {
        return arch != null && arch.toLowerCase(Locale.ROOT).startsWith(PREFIX);
    }

    /** The zoo network of {@code zoo:NAME} (case-insensitive), or a usage error listing the names. */
    static ZooNetworks byArch(String arch) {
        String name = arch.substring(PREFIX.length());
        for (ZooNetworks z : values()) {
            if (z.zooName.equalsIgnoreCase(name)) {
                return z;
            }
        }
        throw new UsageException("--arch " + arch + " is not a zoo network this tool converts: use zoo:NAME with NAME"
                + " one of " + Arrays.stream(values()).map(z -> z.zooName).toList());
    }

    /** {@code zoo:NAME}, as {@code --arch} takes it. */
    String arch() {
        return PREFIX + zooName;
    }

    /** A usage error when {@code channels x height x width} images are smaller than the network takes. */
    void checkInput(long channels, long height, long width) {
        if (height < minSide || width < minSide) {
            throw new UsageException("--arch " + arch() + " needs images of at least " + minSide + "x" + minSide
                    + ", the data has " + channels + "x" + height + "x" + width
                    + ": use a dataset with larger images (cifar10, cifar100, svhn, stl10)");
        }
    }

    /**
     * The network with random weights for {@code channels x height x width} images and {@code classes} classes.
     *
     * @throws UsageException when the images are smaller than the network takes
     */
    ComputationGraph build(int channels, int height, int width, int classes, long seed) {
        checkInput(channels, height, width);
        int[] shape = {channels, height, width};
        ZooModel<?> model = switch (this) {
            case RESNET50 -> ResNet50.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case VGG16 -> org.deeplearning4j.zoo.model.VGG16.builder().inputShape(shape).numClasses(classes).seed(seed)
                    .build();
            case DARKNET19 -> Darknet19.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case SQUEEZENET -> SqueezeNet.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case XCEPTION -> Xception.builder().inputShape(shape).numClasses(classes).seed(seed).build();
            case INCEPTIONRESNETV1 -> InceptionResNetV1.builder().inputShape(shape).numClasses(classes).seed(seed)
                    .build();
        };
        return (ComputationGraph) model.init();
    }
}
