package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.optim.TrainingRecipe;
import picocli.CommandLine.Option;

/** Options shared by {@code train} and {@code compare}: data, network and recipe. */
class RunOptions {
    @Option(names = "--data", defaultValue = "fashion-mnist",
            description = "fashion-mnist[:DIR] | mnist:DIR | cifar10:DIR | cifar100:DIR | svhn:DIR | stl10:DIR "
                    + "(default ${DEFAULT-VALUE}: the embedded 6,000/1,000-image subset).")
    String data;

    @Option(names = "--arch", defaultValue = "resnet32",
            description = "resnetN, N = 6n+2, or zoo:NAME, a DL4J model-zoo network with random weights (ResNet50, "
                    + "VGG16, Darknet19, SqueezeNet, Xception, InceptionResNetV1), split by --k with the memory-balanced "
                    + "strategy (default ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--epochs", description = "Epochs (default 1, or the --recipe's).")
    Integer epochs;

    @Option(names = "--batch", description = "Mini-batch size (default 128, or the --recipe's).")
    Integer batch;

    @Option(names = "--lr", description = "Base learning rate lr0 (default 0.1, or the --recipe's).")
    Double lr;

    @Option(names = "--recipe",
            description = "The paper's recipe: paper-cifar10 (batch 1024, lr0 0.8, 160 epochs), paper-svhn (1024, 0.8, "
                    + "160) or paper-stl10 (128, 0.1, 160), with its warm-up + cosine schedule; --epochs, --batch, --lr "
                    + "and --schedule override its values. Every run uses SGD with Nesterov momentum 0.9 and coupled "
                    + "weight decay 1e-4 on all parameters.")
    String recipe;

    @Option(names = "--schedule",
            description = "Learning-rate schedule per epoch: cosine (default without --recipe; starts at lr0, never an "
                    + "epoch at lr 0), paper (docs/method.md section 3: warm-up, cosine, last epoch at lr 0; default with --recipe) or "
                    + "constant.")
    String schedule;

    @Option(names = "--train-subset", defaultValue = "0", description = "Use N training images (0 = all).")
    int trainSubset;

    @Option(names = "--test-subset", defaultValue = "0", description = "Use N test images (0 = all).")
    int testSubset;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--lambdas", split = ",",
            description = "ixx1,ixy1,ixx2,ixy2 of the InfoPro lambda schedule (default: the paper's ResNet-32 values for K).")
    double[] lambdas;

    ExperimentSpec spec(Method method, int k) {
        TrainingRecipe r = null;
        if (recipe != null) {
            try {
                r = TrainingRecipe.byName(recipe);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--recipe: " + e.getMessage());
            }
        }
        boolean zoo = ZooNetworks.isZoo(arch);
        return ExperimentSpec.builder().data(data).method(method).k(k)
                .depth(zoo ? 0 : Args.resnetDepth(arch)).zoo(zoo ? ZooNetworks.byArch(arch) : null)
                .epochs(epochs != null ? epochs : r != null ? r.getEpochs() : 1)
                .batch(batch != null ? batch : r != null ? r.getBatchSize() : 128)
                .lr(lr != null ? lr : r != null ? r.getLr0() : 0.1)
                .recipe(r != null ? recipe : "paper-cifar10")
                .schedule(schedule != null ? schedule : r != null ? "paper" : "cosine")
                .trainSubset(trainSubset).testSubset(testSubset).seed(seed).lambdas(lambdas).build();
    }
}
