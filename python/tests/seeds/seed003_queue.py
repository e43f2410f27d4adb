import random  # (left out of the note's fragments; its output shows them run)
import time
from multiprocessing import Process, Queue

# 写数据进程执行的代码
def proc_write(q, urls):
    print('Process is write......')
    for url in urls:
        q.put(url)
        print('put %s to queue...' % url)
        time.sleep(random.random())

# 读数据进程的代码
def proc_read(q):
    print('Process is reading......')
    while True:
        url = q.get(True)
        print('Get %s from queue' % url)

if __name__ == "__main__":
    # 父进程创建Queue 并传给各个进程
    q = Queue()
    proc_write1 = Process(target=proc_write, args=(q,['url1', 'url2', 'url3']))
    proc_write2 = Process(target=proc_write, args=(q,['url4', 'url5']))
    prco_reader = Process(target=proc_read, args=(q,))

    # 启动子进程,写入
    proc_write1.start()
    proc_write2.start()

    prco_reader.start()
    
    # 等待proc_write1结束
    proc_write1.join()
    proc_write2.join()

    # proc_reader进程是死循环，强制结束
    prco_reader.terminate()
