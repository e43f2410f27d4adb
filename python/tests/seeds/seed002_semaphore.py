"""
信号量
思路：信号量数量相当于资源，执行任务必须小号资源
"""

from multiprocessing import Process,Semaphore

from  time import  sleep
import  os

#创建信号量(最多允许3个任务同时执行）
sem = Semaphore(3)

#任务函数
def handle():
    sem.acquire()#想执行任务必须小号1个信号量
    print('%s执行任务'%os.getpid())
    sleep(2)
    print('%s执行任务完毕'%os.getpid())
    sem.release() #任务执行完了归还信号量。

#执行10个任务
for i in range(10):
    p = Process(target=handle)
    p.start()
