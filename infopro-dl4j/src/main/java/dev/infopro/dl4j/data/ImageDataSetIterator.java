package dev.infopro.dl4j.data;

import java.lang.ref.Cleaner;
import dev.infopro.dl4j.data.BatchMaker.Batch;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lombok.extern.slf4j.Slf4j;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A DL4J {@link DataSetIterator} over an {@link ImageDataset} producing float NCHW features normalised per channel,
 * {@code (v/255 - mean) / std}, and one-hot labels. The last partial batch is kept.
 *
 * <p><b>Reproducibility.</b> The sample order of epoch {@code e} is a pure function of {@code (seed, e)}, so it
 * differs between epochs yet is identical across runs; the augmentation of each sample is a pure function of
 * {@code (seed, e, position in the epoch)}, so it does not depend on batching or threading either. {@link #getState()}
 * and {@link #restoreState(IteratorState)} therefore resume an interrupted run exactly.
 *
 * <p><b>Epochs.</b> The iterator starts at epoch 0. {@link #reset()} moves to the start of the next epoch if any
 * sample of the current epoch has been returned, and otherwise only rewinds (so the usual "reset before fitting"
 * does not skip an epoch). {@link #setEpoch(int)} jumps to the start of any epoch.
 *
 * <p><b>Speed.</b> Batches are built with primitive loops (lookup-table normalisation) on a daemon prefetch thread
 * that keeps a small bounded queue filled; only the final {@code Nd4j.create} happens on the consumer thread. The
 * thread is stopped by {@link #reset()}, {@link #close()}, state changes, and when the iterator is garbage-collected.
 * {@link #asyncSupported()} is false because wrapping this in DL4J's async iterator would only add another queue.
 */
@Slf4j
public final class ImageDataSetIterator implements DataSetIterator, AutoCloseable {
    private static final long serialVersionUID = 1L;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicInteger THREAD_COUNTER = new AtomicInteger();
    private static final Object END = new Object();

    private final ImageDataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final Augmentation augmentation;
    private final Normalization normalization;
    private final int prefetch;
    private final transient float[][] lut;
    private final transient ProducerHolder holder = new ProducerHolder();
    private final transient Cleaner.Cleanable cleanable;
    private long seed;
    private int epoch;
    private int position;
    private transient int[] order;
    private DataSetPreProcessor preProcessor;

    /**
     * @param dataset       the images
     * @param batchSize     batch size (positive)
     * @param seed          seed for shuffling and augmentation
     * @param shuffle       whether to shuffle each epoch (false: dataset order)
     * @param augmentation  augmentation, {@code null} for none
     * @param normalization per-channel normalisation, {@code null} for plain scaling to [0, 1]
     * @param prefetch      number of batches to prepare ahead on a background thread; 0 builds batches on the
     *                      calling thread
     */
    @lombok.Builder
    private ImageDataSetIterator(ImageDataset dataset, int batchSize, long seed, Boolean shuffle,
                                 Augmentation augmentation, Normalization normalization, Integer prefetch) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle == null || shuffle;
        this.augmentation = augmentation == null ? Augmentation.NONE : augmentation;
        this.normalization = normalization == null ? Normalization.none(dataset.channels()) : normalization;
        if (this.normalization.channels() != dataset.channels()) {
            throw new IllegalArgumentException("normalisation has " + this.normalization.channels()
                    + " channels, dataset " + dataset.name() + " has " + dataset.channels());
        }
        if (this.augmentation.getCropPadding() < 0) {
            throw new IllegalArgumentException("crop padding must be >= 0");
        }
        if (this.augmentation.getPadMode() == Augmentation.PadMode.REFLECT
                && this.augmentation.getCropPadding() >= Math.min(dataset.height(), dataset.width())) {
            throw new IllegalArgumentException("reflect padding " + this.augmentation.getCropPadding()
                    + " must be smaller than the image side");
        }
        this.prefetch = prefetch == null ? 3 : Math.max(0, prefetch);
        this.lut = this.normalization.lookupTable();
        ProducerHolder h = holder;
        // The cleanup action references only the holder, never this iterator, so the iterator can become unreachable.
        this.cleanable = CLEANER.register(this, h::stop);
    }

    /**
     * Creates an iterator with shuffling, no augmentation, scaling to [0, 1] and prefetching.
     *
     * @param dataset   the images
     * @param batchSize batch size
     * @param seed      seed
     * @return the iterator
     */
    public static ImageDataSetIterator of(ImageDataset dataset, int batchSize, long seed) {
        return builder().dataset(dataset).batchSize(batchSize).seed(seed).build();
    }

    // ---------------------------------------------------------------------------------------------------------
    // State

    /** @return the current (seed, epoch, position) */
    public synchronized IteratorState getState() {
        return new IteratorState(seed, epoch, position);
    }

    /**
     * Continues from a saved state: the next batch is the one that followed when the state was taken.
     *
     * @param state a state from {@link #getState()} (of an iterator over the same dataset and settings)
     */
    public synchronized void restoreState(IteratorState state) {
        if (state.getEpoch() < 0 || state.getPosition() < 0 || state.getPosition() > dataset.size()) {
            throw new IllegalArgumentException("invalid state " + state + " for " + dataset.size() + " samples");
        }
        holder.stop();
        if (state.getSeed() != seed || state.getEpoch() != epoch) {
            order = null;
        }
        seed = state.getSeed();
        epoch = state.getEpoch();
        position = state.getPosition();
    }

    /**
     * Jumps to the start of an epoch.
     *
     * @param epoch 0-based epoch
     */
    public synchronized void setEpoch(int epoch) {
        restoreState(new IteratorState(seed, epoch, 0));
    }

    /** @return the current 0-based epoch */
    public synchronized int getEpoch() {
        return epoch;
    }

    /** @return the per-channel normalisation, to recover {@code x01 = x * std + mean} */
    public Normalization getNormalization() {
        return normalization;
    }

    /** @return the augmentation applied to each sample */
    public Augmentation getAugmentation() {
        return augmentation;
    }

    /** @return the underlying dataset */
    public ImageDataset getDataset() {
        return dataset;
    }

    /** @return number of samples per epoch */
    public int numExamples() {
        return dataset.size();
    }

    /** @return number of batches per epoch, counting the last partial one */
    public int batchesPerEpoch() {
        return (dataset.size() + batchSize - 1) / batchSize;
    }

    /**
     * The sample order of an epoch.
     *
     * @param n       number of samples
     * @param seed    seed
     * @param epoch   epoch
     * @param shuffle false for the identity order
     * @return a permutation of {@code 0..n-1}
     */
    static int[] epochOrder(int n, long seed, int epoch, boolean shuffle) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        if (shuffle) {
            SplittableRandom rnd = new SplittableRandom(mix(seed, epoch, -1));
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        }
        return o;
    }

    /** Mixes seed, epoch and position into one well-spread 64-bit value (SplitMix64 finaliser). */
    static long mix(long seed, long epoch, long pos) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + pos * 0x94D049BB133111EBL
                + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Iteration

    @Override
    public synchronized boolean hasNext() {
        return position < dataset.size();
    }

    @Override
    public synchronized DataSet next() {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch " + epoch + " of " + dataset.name() + " is exhausted; call reset()");
        }
        if (prefetch == 0) {
            return nextSync(batchSize);
        }
        Producer p = holder.producer;
        if (p == null) {
            p = new Producer(maker(), currentOrder(), epoch, position, batchSize, prefetch);
            holder.start(p);
        }
        Batch b = p.take();
        if (b.start != position) {
            throw new IllegalStateException("prefetched batch starts at " + b.start + ", expected " + position);
        }
        position += b.count;
        return toDataSet(b);
    }

    @Override
    public synchronized DataSet next(int num) {
        if (num <= 0) {
            throw new IllegalArgumentException("num must be positive, got " + num);
        }
        if (!hasNext()) {
            throw new NoSuchElementException("epoch " + epoch + " of " + dataset.name() + " is exhausted; call reset()");
        }
        // A batch of a different size: drop the prefetched ones (they restart lazily from the new position).
        holder.stop();
        return nextSync(num);
    }

    private DataSet nextSync(int num) {
        int count = Math.min(num, dataset.size() - position);
        Batch b = maker().make(currentOrder(), epoch, position, count);
        position += count;
        return toDataSet(b);
    }

    private DataSet toDataSet(Batch b) {
        INDArray x = Nd4j.create(b.features, new long[]{b.count, dataset.channels(), dataset.height(),
                dataset.width()}, 'c');
        INDArray y = Nd4j.create(b.labels, new long[]{b.count, dataset.numClasses()}, 'c');
        DataSet ds = new DataSet(x, y);
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    private int[] currentOrder() {
        if (order == null) {
            order = epochOrder(dataset.size(), seed, epoch, shuffle);
        }
        return order;
    }

    private BatchMaker maker() {
        return new BatchMaker(dataset, augmentation, lut, seed);
    }

    @Override
    public synchronized void reset() {
        holder.stop();
        if (position > 0) {
            epoch++;
            order = null;
        }
        position = 0;
    }

    /** Stops the prefetch thread; the iterator stays usable and restarts it on demand. */
    @Override
    public synchronized void close() {
        holder.stop();
    }

    /** @return the live prefetch thread, or null (for tests) */
    Thread prefetchThread() {
        Producer p = holder.producer;
        return p == null ? null : p.thread;
    }

    @Override
    public int inputColumns() {
        return dataset.imageSize();
    }

    @Override
    public int totalOutcomes() {
        return dataset.numClasses();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return dataset.classNames();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Batch building and prefetching (static: nothing here may reference the iterator, see the Cleaner above)

    /** Holds the current producer so the Cleaner can stop it without referencing the iterator. */
    static final class ProducerHolder {
        volatile Producer producer;

        synchronized void start(Producer p) {
            stop();
            producer = p;
            p.thread.start();
        }

        synchronized void stop() {
            Producer p = producer;
            producer = null;
            if (p != null) {
                p.stop();
            }
        }
    }

    /** The prefetch thread: builds the batches of one epoch from a start position into a bounded queue. */
    static final class Producer implements Runnable {
        private final BatchMaker maker;
        private final int[] order;
        private final int epoch;
        private final int start;
        private final int batchSize;
        private final BlockingQueue<Object> queue;
        private final Thread thread;
        private volatile boolean stopped;

        Producer(BatchMaker maker, int[] order, int epoch, int start, int batchSize, int depth) {
            this.maker = maker;
            this.order = order;
            this.epoch = epoch;
            this.start = start;
            this.batchSize = batchSize;
            this.queue = new ArrayBlockingQueue<>(depth + 1);
            this.thread = new Thread(this, "infopro-data-prefetch-" + THREAD_COUNTER.incrementAndGet());
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                int n = order.length;
                for (int pos = start; pos < n && !stopped; pos += batchSize) {
                    put(maker.make(order, epoch, pos, Math.min(batchSize, n - pos)));
                }
                put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                log.error("Prefetch thread failed", t);
                try {
                    put(t);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Offers with a timeout so that a stopped producer never blocks forever on a full queue. */
        private void put(Object o) throws InterruptedException {
            while (!stopped) {
                if (queue.offer(o, 100, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        }

        Batch take() {
            while (true) {
                Object o;
                try {
                    o = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the next batch", e);
                }
                if (o == null) {
                    if (!thread.isAlive() && queue.isEmpty()) {
                        throw new IllegalStateException("prefetch thread ended without producing the next batch");
                    }
                    continue;
                }
                if (o instanceof Batch) {
                    return (Batch) o;
                }
                if (o == END) {
                    throw new NoSuchElementException("no more batches in this epoch");
                }
                throw new IllegalStateException("prefetch thread failed", (Throwable) o);
            }
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            queue.clear();
        }
    }
}
